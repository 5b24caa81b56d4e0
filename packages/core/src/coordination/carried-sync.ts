// Before a node fetches an announced commit: apply the change carried in etcd (by the announcer,
// or shared by the node elected to fetch), or, with the elected fetch on, take part in the
// election. Never fails: whatever goes wrong, the node fetches from the origin as before.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock } from 'etcd3';
import { describeCause } from '../errors';
import type { CarryApplied } from '../git/carry-apply';
import type { BuiltCarry } from '../git/carried-pack';
import type { Announcement } from './announcement';
import {
  DEFAULT_CARRY_MAX_BYTES,
  DEFAULT_CARRY_TTL_SECONDS,
  carriedKey,
  decodeCarried,
  encodeCarried,
  fetchLockKey,
  storeCarried,
} from './carried-change';
import { etcdClientOf, type EtcdConnection } from './etcd';
import { getKey } from './etcd-kv';
import { watchElection, type ElectionWake, type Wake } from './election-wake';
import type { WatchLogger, WatchSource } from './watch-types';

/**
 * How the node came to have the commit it publishes: `carried` (the announcer's carried change),
 * `shared` (the change shared by the node elected to fetch), `origin` (fetched from the git
 * server), `cache` (already whole in the cache: a rollback, a re-announcement).
 */
export type SyncPath = 'carried' | 'shared' | 'origin' | 'cache';

/** The elected fetch, as `watchAndPull` takes it (`sharedFetch`), with its defaults filled in. */
export interface SharedFetchSettings {
  /** How long a node waits for the elected node's change before it fetches itself. */
  readonly waitMs: number;
  /** The election lock's lease: a node that dies holding it is replaced after this. */
  readonly lockTtlSeconds: number;
  readonly maxBytes: number;
  readonly ttlSeconds: number;
}

export const DEFAULT_SHARED_FETCH: SharedFetchSettings = {
  waitMs: 30_000,
  lockTtlSeconds: 5,
  maxBytes: DEFAULT_CARRY_MAX_BYTES,
  ttlSeconds: DEFAULT_CARRY_TTL_SECONDS,
};

/** While its watch works, a waiting node looks again on its own only this often (a safety net). */
const RECHECK_MS = 2_000;
/** Without a watch (etcd broke it), a waiting node looks again this often. */
const POLL_MS = 250;

/** What a git source offers for carried changes (`openGitSource`'s sources do). */
export type CarryingSource = WatchSource &
  Required<Pick<WatchSource, 'hasWhole' | 'applyCarried' | 'carriedPack'>>;

const carrying = (source: WatchSource): source is CarryingSource =>
  typeof source.hasWhole === 'function' &&
  typeof source.applyCarried === 'function' &&
  typeof source.carriedPack === 'function';

export interface CarryContext {
  readonly etcd: EtcdConnection;
  readonly key: string;
  readonly nodeId: string;
  readonly shared: SharedFetchSettings | undefined;
  /** The commit the node serves now: the base of what it shares when elected. */
  readonly serving: () => string | undefined;
  readonly logger?: WatchLogger | undefined;
}

/** What the node did before resolving, and, when it was elected, what to do after its fetch. */
export interface Prepared {
  readonly path: SyncPath;
  /** Why a carried change was not used, when one was looked at. */
  readonly note?: string;
  /** Elected: share the fetched commit, then give the election up. Never fails. */
  readonly afterFetch?: (commit: string) => Promise<void>;
  /** Elected: give the election up without sharing (the fetch failed). */
  readonly release?: () => Promise<void>;
}

type Tried = { readonly path: 'carried' | 'shared' } | { readonly note: string } | undefined;

/** Reads the carried key and offers its pack to the cache; undefined when there is none. */
async function tryCarried(
  ctx: CarryContext,
  source: CarryingSource,
  commit: string,
): Promise<Tried> {
  const read = await getKey(ctx.etcd, carriedKey(ctx.key, commit));
  if (read.isErr()) return { note: `the carried change cannot be read: ${read.error.message}` };
  if (!read.value.kv) return undefined;
  const decoded = decodeCarried(read.value.kv.value);
  if (typeof decoded === 'string') return { note: `the carried change is unusable: ${decoded}` };
  if (decoded.header.commit !== commit)
    return { note: `the carried change is for ${decoded.header.commit}, not ${commit}` };
  const applied = await source.applyCarried(decoded.pack, {
    base: decoded.header.base,
    commit,
  });
  return applied.match(
    (outcome: CarryApplied): Tried =>
      outcome.applied || outcome.reason === 'already'
        ? { path: decoded.header.by === 'announcer' ? 'carried' : 'shared' }
        : { note: `carried change refused (${outcome.reason}): ${outcome.message}` },
    (error): Tried => ({ note: `carried change not applied: ${error.message}` }),
  );
}

async function acquire(ctx: CarryContext, commit: string, ttl: number): Promise<Lock | undefined> {
  const lock = etcdClientOf(ctx.etcd).lock(fetchLockKey(ctx.key, commit)).ttl(ttl);
  try {
    return await lock.acquire();
  } catch {
    // Held by another node (EtcdLockFailedError), or etcd failing: either way, not ours.
    return undefined;
  }
}

/** Shares the commit just fetched (thin against what the node served), then releases the lock. */
function electedHooks(
  ctx: CarryContext,
  source: CarryingSource,
  shared: SharedFetchSettings,
  lock: Lock,
  base: string,
): Pick<Prepared, 'afterFetch' | 'release'> {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await lock.release().catch(() => undefined);
  };
  const by = `node:${ctx.nodeId}` as const;
  const afterFetch = async (commit: string) => {
    try {
      const header = encodeCarried({ commit, base, by }, Buffer.alloc(0)).length;
      const built = await source.carriedPack(base, commit, shared.maxBytes - header);
      const done = built.match(
        (b: BuiltCarry) => b,
        (error) => error.message,
      );
      if (typeof done === 'string' || done.kind !== 'built') {
        ctx.logger?.info(
          { nodeId: ctx.nodeId, commit, why: typeof done === 'string' ? done : done.kind },
          'elected fetch: change not shared, the others fetch it themselves',
        );
        return;
      }
      const stored = await storeCarried(
        ctx.etcd,
        carriedKey(ctx.key, commit),
        encodeCarried({ commit, base, by }, done.pack),
        shared.ttlSeconds,
      );
      if (stored.isErr())
        ctx.logger?.warn(
          { nodeId: ctx.nodeId, commit, error: stored.error },
          'elected fetch: the change could not be shared',
        );
    } catch (cause) {
      ctx.logger?.warn(
        { nodeId: ctx.nodeId, commit, reason: describeCause(cause) },
        'share failed',
      );
    } finally {
      await release();
    }
  };
  return { afterFetch, release };
}

/**
 * Gets the announced commit into the cache without the origin when it can: a carried change
 * first, then (with the elected fetch on) the change the elected node shares, waiting for it at
 * most `waitMs`. Answers the path taken; `origin` means: resolve fetches.
 */
export async function prepareCommit(
  ctx: CarryContext,
  source: WatchSource,
  announcement: Announcement,
  signal: AbortSignal,
): Promise<Prepared> {
  const commit = announcement.commit;
  if (commit === undefined || !carrying(source)) return { path: 'origin' };
  if ((await source.hasWhole(commit)).unwrapOr(false)) return { path: 'cache' };
  let note: string | undefined;
  if (announcement.carried !== undefined || ctx.shared !== undefined) {
    const tried = await tryCarried(ctx, source, commit);
    if (tried && 'path' in tried) return { path: tried.path };
    note = tried?.note;
  }
  const shared = ctx.shared;
  const base = ctx.serving();
  // Only a node that can build the change from what it serves takes part in the election.
  if (shared === undefined || base === undefined || base === commit)
    return { path: 'origin', ...(note !== undefined && { note }) };
  const deadline = performance.now() + shared.waitMs;
  const lockKey = fetchLockKey(ctx.key, commit);
  let wake: ElectionWake | undefined;
  let watching = true;
  try {
    while (!signal.aborted) {
      const lock = await acquire(ctx, commit, shared.lockTtlSeconds);
      if (lock) {
        // The previous holder may have shared it just before letting go.
        const late = await tryCarried(ctx, source, commit);
        if (late && 'path' in late) {
          await lock.release().catch(() => undefined);
          return { path: late.path };
        }
        ctx.logger?.debug({ nodeId: ctx.nodeId, commit }, 'elected to fetch');
        return { path: 'origin', ...electedHooks(ctx, source, shared, lock, base) };
      }
      if (wake === undefined && watching) {
        // Watch from a revision read now: a change stored or the lock let go after it wakes
        // the node; what happened before it, the reads below see.
        const read = await getKey(ctx.etcd, lockKey);
        if (read.isOk()) {
          wake = watchElection(
            ctx.etcd,
            { carried: carriedKey(ctx.key, commit), lock: lockKey },
            read.value.revision + 1,
          );
          const tried = await tryCarried(ctx, source, commit);
          if (tried && 'path' in tried) return { path: tried.path };
          if (tried) return { path: 'origin', note: tried.note };
          if (!read.value.kv) continue; // let go before the watch began: ask again now
        } else watching = false;
      }
      // Another node holds the lock: wait for its change, or for the lock to be let go.
      let retryLock = false;
      while (!retryLock) {
        const left = deadline - performance.now();
        if (left <= 0 || signal.aborted) return timedOut(shared, note);
        let woke: Wake;
        if (wake && watching) woke = await wake.next(Math.min(left, RECHECK_MS), signal);
        else {
          await sleep(Math.min(left, POLL_MS), undefined, { signal }).catch(() => undefined);
          woke = 'timeout';
        }
        if (woke === 'aborted') return timedOut(shared, note);
        if (woke === 'watch-lost') watching = false;
        const tried = await tryCarried(ctx, source, commit);
        if (tried && 'path' in tried) return { path: tried.path };
        // Shared but unusable here (another base, corrupt): waiting longer changes nothing.
        if (tried) return { path: 'origin', note: tried.note };
        // A released lock, a second without news, or polling: ask for the lock again.
        retryLock = woke !== 'carried';
      }
    }
  } finally {
    void wake?.close();
  }
  return timedOut(shared, note);
}

function timedOut(shared: SharedFetchSettings, note: string | undefined): Prepared {
  return {
    path: 'origin',
    note: note ?? `the elected node's change did not come within ${shared.waitMs} ms`,
  };
}
