/**
 * SSH connections kept for the next fetch, like OpenSSH's ControlMaster: a handshake and a key
 * login cost more than the fetch of a one-file change, so a connection that served a fetch
 * cleanly waits (idle, not holding the process open) for the next one with the same login, host
 * and trust. It is dropped after IDLE_MS unused, and never reused past MAX_AGE_MS, so a revoked
 * key or a changed host key is noticed within minutes.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'ssh2';
import type { KnownKeys } from './known-hosts';
import type { SshLogin } from './ssh-auth';

const IDLE_MS = 30_000;
const MAX_AGE_MS = 300_000;

interface Idle {
  readonly conn: Client;
  readonly born: number;
  readonly timer: NodeJS.Timeout;
  readonly onGone: () => void;
}

const idle = new Map<string, Idle[]>();
const born = new WeakMap<Client, number>();
const guarded = new WeakSet<Client>();
const ignore = () => undefined;

/** An error of a connection nobody is using must not become an uncaught exception. */
function guard(conn: Client): void {
  if (guarded.has(conn)) return;
  guarded.add(conn);
  conn.on('error', ignore);
}

/** Ends a connection, for good. */
export function endConnection(conn: Client): void {
  guard(conn);
  conn.end();
  setTimeout(() => conn.destroy(), 1_000).unref();
}

/** The socket under ssh2's client, to let an idle connection not hold the process open. */
function socketOf(conn: Client): { ref?: () => void; unref?: () => void } | undefined {
  return (conn as unknown as { _sock?: { ref?: () => void; unref?: () => void } })._sock;
}

/** What a connection may be reused for: same host, login and host-key trust. */
export function poolKey(
  host: string,
  port: number,
  login: SshLogin,
  known: KnownKeys,
  pinned: readonly string[],
  acceptNew: boolean,
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([host, port, login.username, login.agent ?? '', acceptNew, pinned]));
  for (const { key } of login.keys) hash.update(key.getPublicSSH());
  for (const { blob } of known.keys) hash.update(blob);
  for (const blob of known.revoked) hash.update(blob);
  return hash.digest('hex');
}

/** Remembers when a new connection was made. */
export function connected(conn: Client): void {
  born.set(conn, Date.now());
}

function remove(key: string, entry: Idle): void {
  const list = idle.get(key)?.filter((e) => e !== entry) ?? [];
  if (list.length > 0) idle.set(key, list);
  else idle.delete(key);
  clearTimeout(entry.timer);
  entry.conn.removeListener('close', entry.onGone);
  entry.conn.removeListener('error', entry.onGone);
}

/** An idle connection for `key`, taken out of the pool, or undefined. */
export function takeIdle(key: string): Client | undefined {
  for (;;) {
    const entry = idle.get(key)?.at(-1);
    if (!entry) return undefined;
    remove(key, entry);
    if (Date.now() - entry.born > MAX_AGE_MS) {
      endConnection(entry.conn);
      continue;
    }
    socketOf(entry.conn)?.ref?.();
    return entry.conn;
  }
}

/** Keeps a connection that served a fetch cleanly for the next one, or ends it if too old. */
export function keepIdle(key: string, conn: Client): void {
  const since = born.get(conn) ?? 0;
  if (Date.now() - since > MAX_AGE_MS) {
    endConnection(conn);
    return;
  }
  guard(conn);
  socketOf(conn)?.unref?.();
  const entry: Idle = {
    conn,
    born: since,
    timer: setTimeout(() => {
      remove(key, entry);
      endConnection(conn);
    }, IDLE_MS).unref(),
    onGone: () => remove(key, entry),
  };
  conn.once('close', entry.onGone);
  conn.on('error', entry.onGone);
  idle.set(key, [...(idle.get(key) ?? []), entry]);
}
