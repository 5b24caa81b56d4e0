import { ResultAsync, err, errAsync } from 'neverthrow';
import { berthError, type AbortedError } from '../errors';
import { acquireFileLock } from './file-lock';

/**
 * One reader-writer lock per cache directory, shared by every `GitSource` in the process that
 * uses that directory. This registry is module state on purpose: the directory it guards is
 * process-wide too, and two sources opened on one URL must not fetch into it at once.
 * Reads (tree listings, blobs) share it; a fetch or a wipe holds it alone — and also holds the
 * directory's lock file (see `git-file-lock.ts`), so other processes on the same cache (another
 * watcher, `berth publish`) take turns with it.
 */
interface DirLock {
  readers: number;
  writer: boolean;
  readonly queue: Waiter[];
  /** Bumped by every wipe, so holders of in-memory caches know to drop them. */
  generation: number;
}

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

const locks = new Map<string, DirLock>();

function lockOf(dir: string): DirLock {
  let lock = locks.get(dir);
  if (!lock) {
    lock = { readers: 0, writer: false, queue: [], generation: 0 };
    locks.set(dir, lock);
  }
  return lock;
}

function canGrant(lock: DirLock, exclusive: boolean): boolean {
  return exclusive ? !lock.writer && lock.readers === 0 : !lock.writer;
}

/** Wakes waiters in order; a waiting writer holds back the readers behind it, so it is not starved. */
function drain(lock: DirLock): void {
  while (lock.queue.length > 0) {
    const next = lock.queue[0];
    if (!next || !canGrant(lock, next.exclusive)) return;
    lock.queue.shift();
    if (next.exclusive) lock.writer = true;
    else lock.readers += 1;
    next.grant();
    if (next.exclusive) return;
  }
}

function release(lock: DirLock, exclusive: boolean): void {
  if (exclusive) lock.writer = false;
  else lock.readers -= 1;
  drain(lock);
}

function acquire(dir: string, exclusive: boolean, signal?: AbortSignal): Promise<boolean> {
  const lock = lockOf(dir);
  if (lock.queue.length === 0 && canGrant(lock, exclusive)) {
    if (exclusive) lock.writer = true;
    else lock.readers += 1;
    return Promise.resolve(true);
  }
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      const index = lock.queue.indexOf(waiter);
      if (index >= 0) lock.queue.splice(index, 1);
      drain(lock);
      resolve(false);
    };
    const waiter: Waiter = {
      exclusive,
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      },
    };
    lock.queue.push(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `run` holding the directory's lock (alone when `exclusive`), and releases it however
 * `run` ends. A caller whose signal fires while it waits gets `Aborted` and never runs.
 */
export function withDirLock<T, E>(
  dir: string,
  mode: 'shared' | 'exclusive',
  run: () => ResultAsync<T, E>,
  signal?: AbortSignal,
): ResultAsync<T, E | AbortedError> {
  const exclusive = mode === 'exclusive';
  const operation = `git cache lock (${dir})`;
  if (signal?.aborted) {
    return errAsync(berthError.aborted({ operation, message: `${operation} was aborted` }));
  }
  return ResultAsync.fromSafePromise<boolean, never>(acquire(dir, exclusive, signal)).andThen(
    (granted) => {
      if (!granted) {
        return errAsync(
          berthError.aborted({ operation, message: `aborted while waiting for ${operation}` }),
        );
      }
      const lock = lockOf(dir);
      return new ResultAsync<T, E | AbortedError>(
        (async () => {
          // A lock file that cannot be made (an unwritable parent) leaves the cache to fail on
          // its own, with its own error: the fetch cannot write there either.
          const unlock = exclusive
            ? await acquireFileLock(dir, signal).catch(() => () => Promise.resolve())
            : undefined;
          if (exclusive && unlock === undefined) {
            return err(
              berthError.aborted({ operation, message: `aborted while waiting for ${operation}` }),
            );
          }
          try {
            return await run();
          } finally {
            await unlock?.();
          }
        })().finally(() => release(lock, exclusive)),
      );
    },
  );
}

/** The directory's wipe count: a change means every in-memory view of its objects is stale. */
export function dirGeneration(dir: string): number {
  return lockOf(dir).generation;
}

/** Records a wipe of the directory (call while holding it exclusively). */
export function bumpDirGeneration(dir: string): void {
  lockOf(dir).generation += 1;
}
