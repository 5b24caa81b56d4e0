/**
 * Turning a revision into a commit that is complete in the cache: fetch shallowly what is
 * missing, and when the cache cannot be brought up to date (a force-push the server cannot
 * express against our shallow history, objects gone from disk, a corrupt pack), start the cache
 * again with a fresh shallow clone instead of failing.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { AbortedError, GitHostKeyChangedError, GitHostUnknownError } from '../errors';
import { authHeaders, type GitAuthCallback } from './auth';
import { prepareCache, resetCache } from './cache';
import { fetchRevision, writeTipRef } from './client';
import {
  berthError,
  type GitAuthError,
  type GitFetchError,
  type UnknownRevisionError,
} from '../errors';
import type { GitLogger } from './logger';
import type { ObjectStore } from './store';
import { sshRemote, type GitHostKeyOptions, type SshFetchTransport } from './ssh-remote';
import type { GitSshAuthCallback } from './ssh-auth';
import type { GitUrl } from './url';

/** What `resolve` was asked for: a full commit (or tag object) SHA, or a name the server resolves. */
export type Wanted = { readonly sha: string } | { readonly ref: string };

/** Everything a resolve needs about its source, fixed when the source is opened. */
export interface ResolveContext {
  readonly url: string;
  readonly cacheDir: string;
  readonly store: ObjectStore;
  /** Commits of history per fetch; undefined for all of it. */
  readonly depth: number | undefined;
  readonly timeoutMs: number;
  /** How long a wait on the server may last without a byte (capped by `timeoutMs`). */
  readonly idleTimeoutMs?: number | undefined;
  readonly auth: GitAuthCallback | undefined;
  /** Where `url` points; for SSH, how to log in and which host keys to trust. */
  readonly remote?: GitUrl | undefined;
  readonly sshAuth?: GitSshAuthCallback | undefined;
  readonly hostKeys?: GitHostKeyOptions | undefined;
  /** The SSH settings of the environment, read once when the source was opened. */
  readonly sshEnv?: Readonly<Record<string, string | undefined>> | undefined;
  readonly logger: GitLogger | undefined;
  /** Past this many packs the cache is started again, so lookups do not slow down for ever. */
  readonly maxPacks: number;
  /** Packs smaller than this in all are never compacted (see `cache-compact.ts`). */
  readonly compactFloorBytes: number;
}

/** What resolving can fail with, once the revision is known to be well formed. */
export type ResolveFailure =
  | GitAuthError
  | GitFetchError
  | UnknownRevisionError
  | AbortedError
  | GitHostUnknownError
  | GitHostKeyChangedError;

const wantedText = (wanted: Wanted) => ('sha' in wanted ? wanted.sha : wanted.ref);

/** Resolves `wanted` to a full commit SHA whose whole tree is in the cache. Hold the dir lock. */
export function resolveLocked(
  ctx: ResolveContext,
  wanted: Wanted,
  signal?: AbortSignal,
): ResultAsync<string, ResolveFailure> {
  return prepareCache(ctx.url, ctx.cacheDir)
    .andThen(() => {
      ctx.store.refresh();
      return 'sha' in wanted ? alreadyHere(ctx, wanted.sha) : okAsync(undefined);
    })
    .andThen((local) => {
      if (local !== undefined) return okAsync(local);
      if (ctx.store.packCount > ctx.maxPacks) {
        return restart(ctx, `the cache holds ${ctx.store.packCount} packs`).andThen(() =>
          fetchComplete(ctx, wanted, true, signal),
        );
      }
      return fetchComplete(ctx, wanted, false, signal).orElse((error) =>
        error.kind === 'GitFetch' && (error.reason === 'cache' || error.reason === 'incomplete')
          ? restart(ctx, error.message).andThen(() => fetchComplete(ctx, wanted, true, signal))
          : errAsync(error),
      );
    });
}

/** The commit for a SHA already complete in the cache, without asking the server. */
function alreadyHere(ctx: ResolveContext, sha: string): ResultAsync<string | undefined, never> {
  return ctx.store
    .peelToCommit(sha)
    .andThen((commit) =>
      ctx.store.completeness(commit).map((state) => (state === 'complete' ? commit : undefined)),
    )
    .orElse(() => okAsync(undefined));
}

function restart(ctx: ResolveContext, why: string): ResultAsync<void, GitFetchError> {
  ctx.logger?.warn(
    { url: ctx.url, cacheDir: ctx.cacheDir, reason: why },
    'git cache cannot be brought up to date: starting it again with a fresh shallow clone',
  );
  return resetCache(ctx.url, ctx.cacheDir).map(() => ctx.store.refresh());
}

/** One fetch of `wanted`, then the proof that its commit is whole in the cache. */
function fetchComplete(
  ctx: ResolveContext,
  wanted: Wanted,
  fresh: boolean,
  signal?: AbortSignal,
): ResultAsync<string, ResolveFailure> {
  const text = wantedText(wanted);
  const started = Date.now();
  const remote = ctx.remote;
  const prepared: ResultAsync<
    { headers: Record<string, string>; transport: SshFetchTransport | undefined },
    GitAuthError | GitFetchError
  > =
    remote?.transport === 'ssh'
      ? sshRemote(remote, ctx.sshAuth, ctx.hostKeys, ctx.sshEnv ?? {}).map((transport) => ({
          headers: {},
          transport,
        }))
      : authHeaders(ctx.url, ctx.auth).map((headers) => ({ headers, transport: undefined }));
  return prepared
    .andThen(({ headers, transport }) =>
      fetchRevision({
        transport,
        url: ctx.url,
        gitdir: ctx.cacheDir,
        objects: ctx.store.lookup,
        wanted: text,
        depth: ctx.depth,
        headers,
        timeoutMs: ctx.timeoutMs,
        idleTimeoutMs: ctx.idleTimeoutMs,
        signal,
      }),
    )
    .andThen((fetched) => {
      ctx.logger?.debug(
        { url: ctx.url, wanted: text, fetched, fresh, ms: Date.now() - started },
        'git fetch',
      );
      return toCommit(ctx, wanted, fetched);
    })
    .andThen((commit) =>
      ctx.store.completeness(commit).andThen((state) =>
        state === 'complete'
          ? writeTipRef(ctx.url, ctx.cacheDir, commit).map(() => commit)
          : errAsync(
              berthError.gitFetch({
                url: ctx.url,
                reason: 'incomplete',
                message: `after fetching ${text} from ${ctx.url}, commit ${commit} is ${state} in the cache`,
              }),
            ),
      ),
    );
}

/** The commit the fetched oid stands for (tags peeled), or why there is none. */
function toCommit(
  ctx: ResolveContext,
  wanted: Wanted,
  fetched: string,
): ResultAsync<string, GitFetchError | UnknownRevisionError> {
  const text = wantedText(wanted);
  return ctx.store.peelToCommit(fetched).orElse((error) => {
    if (error.problem === 'wrong-type') {
      return errAsync(
        berthError.unknownRevision({ url: ctx.url, revision: text, message: error.message }),
      );
    }
    // Asked for by SHA and absent after the fetch: the server does not have it (or not
    // reachable from any of its refs, which for a fetch is the same).
    return ctx.store.has(fetched).andThen((present) =>
      'sha' in wanted && fetched === wanted.sha && !present
        ? errAsync(
            berthError.unknownRevision({
              url: ctx.url,
              revision: text,
              message: `${ctx.url} has no commit ${text} reachable from its branches and tags`,
            }),
          )
        : errAsync(
            berthError.gitFetch({
              url: ctx.url,
              reason: 'incomplete',
              message: `after fetching ${text} from ${ctx.url}: ${error.message}`,
              cause: error,
            }),
          ),
    );
  });
}
