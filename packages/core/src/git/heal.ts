/**
 * Healing a cache that cannot be read: a cycle of deltas, a lost base, a checksum that fails, a
 * truncated pack or objects gone from disk. Nothing on the server is wrong, so the cache is
 * discarded and the commits in use are fetched again with a fresh shallow clone — once: a read
 * that still fails afterwards is reported, never retried in a loop.
 */
import { ResultAsync, err, ok } from 'neverthrow';
import type { GitCacheCorruptError, GitObjectError } from '../errors';
import { resetCache } from './cache';
import { resolveLocked, type ResolveContext, type ResolveFailure } from './resolve';

/** A read failure that a fresh clone can cure: the cache's fault, not the object's. */
export function isCacheReadFailure(error: {
  readonly kind: string;
  readonly problem?: string;
}): error is GitCacheCorruptError | GitObjectError {
  return (
    error.kind === 'GitCacheCorrupt' ||
    (error.kind === 'GitObject' && (error.problem === 'corrupt' || error.problem === 'missing'))
  );
}

/** The read's error, told that the cache was discarded and cloned again before it. */
export function afterReclone<E extends { readonly kind: string; readonly message: string }>(
  error: E,
): E {
  if (!isCacheReadFailure(error)) return error;
  const message = `${error.message} (still, after the cache was discarded and cloned again)`;
  return error.kind === 'GitCacheCorrupt'
    ? { ...error, recloned: true, message }
    : { ...error, message };
}

/**
 * Discards the cache and fetches `commits` into a fresh shallow clone, one after the other. Hold
 * the directory's lock exclusively. Succeeds when at least one of them is whole again: the read
 * that failed is then tried once more, and says so if it still fails.
 */
export function healCache(
  ctx: ResolveContext,
  commits: readonly string[],
  why: string,
): ResultAsync<void, ResolveFailure> {
  ctx.logger?.warn(
    { url: ctx.url, cacheDir: ctx.cacheDir, reason: why, commits },
    'git cache is unreadable: discarding it and cloning again',
  );
  return resetCache(ctx.url, ctx.cacheDir)
    .map(() => ctx.store.refresh())
    .andThen(
      () =>
        new ResultAsync<void, ResolveFailure>(
          (async () => {
            let failure: ResolveFailure | undefined;
            let healed = commits.length === 0;
            for (const commit of commits) {
              const fetched = await resolveLocked(ctx, { sha: commit });
              if (fetched.isOk()) healed = true;
              else failure ??= fetched.error;
            }
            return healed || failure === undefined ? ok(undefined) : err(failure);
          })(),
        ),
    );
}
