/**
 * Host-key checking for SSH git servers, as OpenSSH does it: known_hosts lines (plain names,
 * `[host]:port`, wildcards, negations, hashed `|1|salt|hash` names, `@revoked`), or pinned
 * `SHA256:` fingerprints. Pure: the files are read by the caller.
 */
import { createHash, createHmac } from 'node:crypto';

/** What is known about one host: keys (type + blob) and revoked blobs. */
export interface KnownKeys {
  readonly keys: ReadonlyArray<{ readonly type: string; readonly blob: Buffer }>;
  readonly revoked: readonly Buffer[];
}

export type HostVerdict =
  | { readonly verdict: 'known' }
  | { readonly verdict: 'unknown' }
  | { readonly verdict: 'changed'; readonly expected: readonly string[] };

/** `host` for port 22, `[host]:port` otherwise: how known_hosts names a server. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The fingerprint `ssh-keygen -l` prints: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a public key blob starts with (`ssh-ed25519`, `ssh-rsa`, …). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return length > 0 && 4 + length <= blob.length
    ? blob.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}

function globMatch(pattern: string, name: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** Whether a comma-separated host-pattern field names `name` (a negation vetoes). */
function patternsMatch(field: string, name: string): boolean {
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('|')) {
      if (hashedMatch(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The keys `text` (one or more known_hosts files, concatenated) holds for `name`. */
export function knownKeysFor(text: string, name: string): KnownKeys {
  const keys: Array<{ type: string; blob: Buffer }> = [];
  const revoked: Buffer[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [patterns, type, base64] = fields;
    if (!patterns || !type || !base64 || marker === '@cert-authority') continue;
    if (!patternsMatch(patterns, name)) continue;
    const blob = Buffer.from(base64, 'base64');
    if (marker === '@revoked') revoked.push(blob);
    else keys.push({ type, blob });
  }
  return { keys, revoked };
}

/** Checks a server's key against what is known, and pinned fingerprints (`SHA256:…`) if any. */
export function verifyHostKey(
  blob: Buffer,
  known: KnownKeys,
  pinned: readonly string[] = [],
): HostVerdict {
  const seen = fingerprint(blob);
  const expected = [...known.keys.map((key) => fingerprint(key.blob)), ...pinned];
  if (known.revoked.some((key) => key.equals(blob))) return { verdict: 'changed', expected };
  if (known.keys.some((key) => key.blob.equals(blob)) || pinned.includes(seen)) {
    return { verdict: 'known' };
  }
  return expected.length === 0 ? { verdict: 'unknown' } : { verdict: 'changed', expected };
}

/** The host-key algorithms to offer for the key types known, so the server shows one of those. */
export function hostKeyAlgorithms(known: KnownKeys): string[] {
  const algorithms = new Set<string>();
  for (const { type } of known.keys) {
    if (type === 'ssh-rsa')
      ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => algorithms.add(a));
    else algorithms.add(type);
  }
  return [...algorithms];
}

/** A known_hosts line for an accepted new key (hashed names are OpenSSH's choice; plain is readable). */
export function knownHostsLine(name: string, blob: Buffer): string {
  return `${name} ${blobType(blob)} ${blob.toString('base64')}\n`;
}
