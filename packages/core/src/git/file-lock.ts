/**
 * A lock across processes on one cache directory: a file beside it (`<dir>.lock`) created with
 * O_EXCL and naming its holder (pid, host). Whoever creates it holds the lock; it is removed on
 * release. A holder that died without releasing (kill -9, a crash) is detected by its pid — gone,
 * or a zombie — and its lock is broken. A lock from another host (or a container with its own
 * hostname) cannot be checked that way: it is broken only once it is older than any fetch takes.
 * Pure Node: no `flock`, so it works wherever the cache is shared by processes of this machine.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isNotFound } from '../util/fs-errors';

/** What a lock file says about its holder. */
interface Holder {
  readonly pid: number;
  readonly host: string;
}

/** A lock file still empty this long after it was created belongs to a holder that died writing it. */
const UNWRITTEN_STALE_MS = 10_000;
/** A holder whose pid cannot be checked is presumed dead after this long: fetches time out sooner. */
const UNCHECKABLE_STALE_MS = 10 * 60_000;
const FIRST_WAIT_MS = 5;
const MAX_WAIT_MS = 100;

const code = (cause: unknown) => (cause as { code?: unknown } | null)?.code;

/** The lock file of a cache directory. */
export function lockPathOf(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.lock`;
}

/** Whether a process with this pid runs on this machine (a zombie has finished running). */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (cause) {
    return code(cause) === 'EPERM';
  }
  try {
    // `<pid> (<name>) <state> …`; the name may hold spaces and parentheses.
    const status = await readFile(`/proc/${pid}/stat`, 'latin1');
    const state = status.slice(status.lastIndexOf(')') + 2, status.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux): kill(0) said it exists.
    return true;
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as { pid?: unknown; host?: unknown };
    return typeof value.pid === 'number' && typeof value.host === 'string'
      ? { pid: value.pid, host: value.host }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock file's holder is certainly gone; undefined when the file itself is gone. */
async function stale(path: string): Promise<{ stale: boolean; text: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (isNotFound(cause)) return undefined;
    throw cause;
  }
  const holder = parseHolder(text);
  const age = async () =>
    Date.now() -
    (await stat(path).then(
      (s) => s.mtimeMs,
      () => 0,
    ));
  if (!holder) return { stale: (await age()) > UNWRITTEN_STALE_MS, text };
  if (holder.host !== hostname()) return { stale: (await age()) > UNCHECKABLE_STALE_MS, text };
  return { stale: !(await alive(holder.pid)), text };
}

/**
 * Removes a stale lock file — unless someone replaced it meanwhile: it is moved aside first, and
 * put back when what was moved is not the file judged stale.
 */
async function breakStale(path: string, judged: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (cause) {
    if (isNotFound(cause)) return;
    throw cause;
  }
  const moved = await readFile(aside, 'utf8').catch(() => judged);
  if (moved !== judged) {
    // A new holder's lock: give it back (unless yet another one was created since).
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits until this process holds the lock of `dir`, and resolves the function that releases it;
 * resolves undefined when `signal` fires first. Rejects only when the lock file cannot be made.
 */
export async function acquireFileLock(
  dir: string,
  signal?: AbortSignal,
): Promise<(() => Promise<void>) | undefined> {
  const path = lockPathOf(dir);
  const content = JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() });
  let wait = FIRST_WAIT_MS;
  for (;;) {
    if (signal?.aborted) return undefined;
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(content);
      } finally {
        await file.close();
      }
      return async () => {
        // Only our own lock: a breaker may have judged us dead (pid reuse) and another taken it.
        const now = await readFile(path, 'utf8').catch(() => undefined);
        if (now === content) await unlink(path).catch(() => undefined);
      };
    } catch (cause) {
      if (code(cause) === 'ENOENT') {
        await mkdir(dirname(path), { recursive: true });
        continue;
      }
      if (code(cause) !== 'EEXIST') throw cause;
    }
    const judged = await stale(path);
    if (judged?.stale) {
      await breakStale(path, judged.text);
      continue;
    }
    if (judged === undefined) continue;
    await sleep(wait, signal);
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}
