import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blobType,
  fingerprint,
  hostKeyAlgorithms,
  knownHostsName,
  knownKeysFor,
  verifyHostKey,
} from './known-hosts';

/** A fake public key blob of `type` (string type, then random bytes, as the wire format has it). */
function blob(type: string): Buffer {
  const name = Buffer.from(type, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, randomBytes(32)]);
}
const line = (hosts: string, key: Buffer) => `${hosts} ${blobType(key)} ${key.toString('base64')}`;
function hashed(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

describe('known_hosts', () => {
  const ed = blob('ssh-ed25519');
  const rsa = blob('ssh-rsa');
  const other = blob('ssh-ed25519');

  it('names a server as OpenSSH does', () => {
    expect(knownHostsName('git.example.com', 22)).toBe('git.example.com');
    expect(knownHostsName('127.0.0.1', 8122)).toBe('[127.0.0.1]:8122');
  });

  it('finds plain, listed, wildcard, [host]:port and hashed entries, and honours negation', () => {
    const text = [
      '# comment',
      line('a.example.com,b.example.com', ed),
      line('*.internal,!secret.internal', rsa),
      line('[127.0.0.1]:8122', other),
      line(hashed('hidden.example.com'), ed),
      `@cert-authority *.example.com ${blobType(rsa)} ${rsa.toString('base64')}`,
    ].join('\n');
    expect(knownKeysFor(text, 'b.example.com').keys).toHaveLength(1);
    expect(knownKeysFor(text, 'git.internal').keys[0]?.type).toBe('ssh-rsa');
    expect(knownKeysFor(text, 'secret.internal').keys).toEqual([]);
    expect(knownKeysFor(text, '[127.0.0.1]:8122').keys[0]?.blob.equals(other)).toBe(true);
    expect(knownKeysFor(text, '127.0.0.1').keys).toEqual([]);
    expect(knownKeysFor(text, 'hidden.example.com').keys[0]?.blob.equals(ed)).toBe(true);
    expect(knownKeysFor(text, 'c.example.com').keys).toEqual([]);
  });

  it('tells known, unknown, changed and revoked keys apart', () => {
    const known = knownKeysFor(line('h', ed), 'h');
    expect(verifyHostKey(ed, known)).toEqual({ verdict: 'known' });
    expect(verifyHostKey(other, known)).toEqual({
      verdict: 'changed',
      expected: [fingerprint(ed)],
    });
    expect(verifyHostKey(ed, knownKeysFor('', 'h'))).toEqual({ verdict: 'unknown' });
    expect(verifyHostKey(other, knownKeysFor('', 'h'), [fingerprint(other)])).toEqual({
      verdict: 'known',
    });
    const revoked = knownKeysFor(
      `${line('h', ed)}\n@revoked * ssh-ed25519 ${ed.toString('base64')}`,
      'h',
    );
    expect(verifyHostKey(ed, revoked).verdict).toBe('changed');
  });

  it('offers the host-key algorithms of the known key types, RSA with its SHA-2 signatures', () => {
    const known = knownKeysFor([line('h', ed), line('h', rsa)].join('\n'), 'h');
    expect(hostKeyAlgorithms(known)).toEqual([
      'ssh-ed25519',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    expect(fingerprint(ed)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
