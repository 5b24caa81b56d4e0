/**
 * The one module that calls isomorphic-git: each call becomes a Result here, and nothing of
 * isomorphic-git's types goes further.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { describeCause, type AbortedError } from '../errors';
import { bounded } from '../util/bounded';
import {
  berthError,
  type GitAuthError,
  type GitFetchError,
  type GitHostKeyChangedError,
  type GitHostUnknownError,
  type UnknownRevisionError,
} from '../errors';
import { classifyFetchFailure } from './fetch-failure';
import { fetchFs, type ObjectLookup } from './fetch-fs';
import { isomorphicGit } from '../util/dependencies';
import { httpClient } from './http';
import { watchIdle, type ClientHandle } from './idle';
import { receivingPacks } from './pack-receive';

/** The local ref that names the last commit fetched: it is what the next fetch says it has. */
export const TIP_REF = 'refs/berth/tip';

export type { GitObjectType, RawObject } from './objects';

/** How long a fetch cut off by a timeout may take to let go of the cache directory. */
const SETTLE_MS = 5_000;

function cacheFailure(url: string, gitdir: string, what: string, cause: unknown): GitFetchError {
  return berthError.gitFetch({
    url,
    reason: 'cache',
    message: `git cache ${gitdir}: ${what}: ${describeCause(cause)}`,
    cause,
  });
}

/** An empty bare repository at `gitdir` whose `origin` is `url`. */
export function initBareRepo(url: string, gitdir: string): ResultAsync<void, GitFetchError> {
  return ResultAsync.fromPromise(
    (async () => {
      await isomorphicGit().init({ fs, gitdir, bare: true, defaultBranch: 'main' });
      await isomorphicGit().addRemote({ fs, gitdir, remote: 'origin', url, force: true });
    })(),
    (cause) => cacheFailure(url, gitdir, 'cannot initialise', cause),
  );
}

/** Points {@link TIP_REF} at `oid`. */
export function writeTipRef(
  url: string,
  gitdir: string,
  oid: string,
): ResultAsync<void, GitFetchError> {
  return ResultAsync.fromPromise(
    isomorphicGit().writeRef({ fs, gitdir, ref: TIP_REF, value: oid, force: true }),
    (cause) => cacheFailure(url, gitdir, `cannot write ${TIP_REF}`, cause),
  );
}

/** One fetch: from where, into which cache, what, how deep, and within how long. */
export interface FetchRevisionOptions {
  readonly url: string;
  readonly gitdir: string;
  /** The cache's objects, as isomorphic-git should find them (see `fetch-fs.ts`). */
  readonly objects: ObjectLookup;
  /** A full SHA, a ref name, or `HEAD`, as the server should resolve it. */
  readonly wanted: string;
  /** Commits of history to fetch; undefined fetches all of it. */
  readonly depth: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** How long a wait on the server may last without a byte. Default: `timeoutMs`. */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Another transport than HTTP (SSH): the URL isomorphic-git is given and the client that
   * answers its requests. Default: `url` over HTTP(S).
   */
  readonly transport?:
    { readonly url: string; readonly open: (signal: AbortSignal) => ClientHandle } | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What one fetch can fail with. */
export type FetchRevisionError =
  | GitAuthError
  | GitFetchError
  | UnknownRevisionError
  | AbortedError
  | GitHostUnknownError
  | GitHostKeyChangedError;

/**
 * Fetches one revision (with `depth` commits of history) into the cache and gives the oid the
 * server resolved it to: a commit, or an annotated tag for a tag. A SHA the server does not have
 * "succeeds" with nothing fetched: look for the object afterwards.
 */
export function fetchRevision(
  options: FetchRevisionOptions,
): ResultAsync<string, FetchRevisionError> {
  const { url, gitdir, objects, wanted, depth, timeoutMs } = options;
  const idleMs = Math.min(options.idleTimeoutMs ?? timeoutMs, timeoutMs);
  let inFlight: Promise<unknown> | undefined;
  let transport: ReturnType<typeof watchIdle> | undefined;
  const fetched = bounded(
    { operation: `git fetch ${url}`, timeoutMs, signal: options.signal },
    (signal) => {
      transport = watchIdle(options.transport?.open ?? httpClient, signal, idleMs);
      const fetching = isomorphicGit().fetch({
        fs: fetchFs(gitdir, objects),
        // The pack itself is streamed to disk and indexed by berth (see pack-receive.ts).
        http: receivingPacks(transport.client, {
          packDir: join(gitdir, 'objects', 'pack'),
          read: (oid) => objects.read(oid),
          signal,
        }),
        gitdir,
        // Per fetch; isomorphic-git finds no pack to keep in it (see fetch-fs.ts).
        cache: {},
        url: options.transport?.url ?? url,
        // The local ref names what we already have (the server then sends only the difference);
        // the remote ref is what we want.
        ref: TIP_REF,
        remoteRef: wanted,
        singleBranch: true,
        tags: false,
        ...(depth === undefined ? {} : { depth }),
        headers: { ...options.headers },
      });
      inFlight = fetching;
      // Let go of the transport before the deadline's signal is aborted on the way out: an SSH
      // connection that served the fetch cleanly is kept for the next one.
      const watched = transport;
      return fetching.then((result) => {
        watched.close();
        return result;
      });
    },
    (cause) =>
      transport?.failure?.() ??
      (transport?.idled()
        ? berthError.gitFetch({
            url,
            reason: 'timeout',
            message: `fetching ${wanted} from ${url}: the server sent nothing for ${idleMs} ms`,
            cause,
          })
        : classifyFetchFailure(url, wanted, cause)),
  )
    .mapErr((error) =>
      error.kind === 'Timeout'
        ? berthError.gitFetch({
            url,
            reason: 'timeout',
            message: `fetching ${wanted} from ${url} did not finish within ${timeoutMs} ms`,
            cause: error,
          })
        : error,
    )
    .andThen(({ fetchHead }) =>
      fetchHead
        ? okAsync(fetchHead)
        : errAsync(
            berthError.unknownRevision({
              url,
              revision: wanted,
              message: `${url} is an empty repository`,
            }),
          ),
    );
  // A fetch cut off by the deadline is still writing into the cache: keep the caller (and so
  // the directory lock) until it has stopped, or for SETTLE_MS at most.
  return new ResultAsync(
    (async () => {
      const outcome = await fetched;
      if (outcome.isErr() && inFlight) await settled(inFlight, SETTLE_MS);
      transport?.close();
      return outcome;
    })(),
  );
}

function settled(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
