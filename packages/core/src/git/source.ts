import { resolve as resolvePath } from 'node:path';
import { ResultAsync, err, errAsync, ok, okAsync, type Result } from 'neverthrow';
import { describeCause, type AbortedError, type InvalidInputError } from '../errors';
import type { GitHostKeyChangedError, GitHostUnknownError } from '../errors';
import type { GitAuthCallback } from './auth';
import type { GitSshAuthCallback } from './ssh-auth';
import type { GitHostKeyOptions } from './ssh-remote';
import { defaultCacheDir } from './cache';
import {
  berthError,
  type GitAuthError,
  type GitCacheCorruptError,
  type GitFetchError,
  type GitObjectError,
  type UnknownRevisionError,
} from '../errors';
import { Bounded } from './bounded';
import { applyCarriedPack, type CarryApplied } from './carry-apply';
import { buildCarriedPack, type BuiltCarry } from './carried-pack';
import { compactCache } from './cache-compact';
import { diskUsage } from '../util/disk-usage';
import { afterReclone, healCache, isCacheReadFailure } from './heal';
import { dirGeneration, withDirLock } from './lock';
import type { GitLogger } from './logger';
import { resolveLocked, type ResolveContext } from './resolve';
import { ObjectStore } from './store';
import { diffTrees, listTree, type TreeDiff, type TreeEntry } from './tree';
import type { RawTreeEntry } from './objects';
import { checkOid, checkOptions, checkRevision } from './source-options';

/** Options of {@link openGitSource}; only `url` is required. */
export interface GitSourceOptions {
  /**
   * The repository: `http(s)://host/path`, `ssh://[user@]host[:port]/path` or scp-like
   * `[user@]host:path`. No credentials in it: use `auth` (HTTP) or `sshAuth` (SSH).
   */
  readonly url: string;
  /** Where the fetched objects are kept. Default `<os tmpdir>/berth-git-cache/<sha256 of url>`. */
  readonly cacheDir?: string;
  /** Asked for credentials before every fetch, so rotated ones work without a restart. */
  readonly auth?: GitAuthCallback;
  /** SSH: asked for keys (and the agent, the login) before every fetch; default: see {@link GitSshAuthCallback}. */
  readonly sshAuth?: GitSshAuthCallback;
  /** SSH: which host keys to trust; default the user's known_hosts. Unknown and changed keys are refused. */
  readonly hostKeys?: GitHostKeyOptions;
  /** Commits of history to fetch. Default 1 (shallow); `Infinity` fetches all history. */
  readonly depth?: number;
  /** How long one fetch may take (a resolve that falls back to a fresh clone makes two). Default 60 000 ms. */
  readonly timeoutMs?: number;
  /**
   * How long the server may send nothing while a fetch waits on it (a server counting and
   * compressing objects is silent, not stalled, up to this). Capped by `timeoutMs`. Default 120 000 ms.
   */
  readonly idleTimeoutMs?: number;
  /** Entries `listTree`/`diffTrees` will walk before giving up (a defence against tree bombs). Default 1 000 000. */
  readonly maxTreeEntries?: number;
  readonly logger?: GitLogger;
}

/** Everything `resolve` can fail with. */
export type GitResolveError =
  | InvalidInputError
  | GitAuthError
  | GitFetchError
  | UnknownRevisionError
  | AbortedError
  | GitHostUnknownError
  | GitHostKeyChangedError;

/** Everything reading the cache (`listTree`, `readBlob`, `diffTrees`) can fail with. */
export type GitReadError = InvalidInputError | GitObjectError | GitCacheCorruptError;

/** A git repository, fetched into a local cache on demand and read from it without a checkout. */
export interface GitSource {
  readonly url: string;
  readonly cacheDir: string;
  /**
   * The full SHA of the commit `revision` names, fetched (shallowly) into the cache with its
   * whole tree: a full SHA, `HEAD`, a branch (`main`, `refs/heads/main`) or a tag (`v1`,
   * `refs/tags/v1`; annotated tags are peeled to their commit). A SHA already in the cache is
   * answered without the network; a name always asks the server, since refs move.
   */
  resolve(
    revision: string,
    options?: { readonly signal?: AbortSignal },
  ): ResultAsync<string, GitResolveError>;
  /** Every entry of a commit's tree, recursively, names exactly as stored. `resolve` it first. */
  listTree(commit: string): ResultAsync<TreeEntry[], GitReadError>;
  /** A blob's content (for a symlink: its target). */
  readBlob(oid: string): ResultAsync<Buffer, GitReadError>;
  /** The files that differ between two commits (`from` undefined: all of `to`'s files are added). */
  diffTrees(from: string | undefined, to: string): ResultAsync<TreeDiff, GitReadError>;
  /**
   * Bytes the cache directory takes on disk now (0 before the first fetch), for a node's status.
   * After a fetch the cache is compacted to the objects of the last two commits resolved (the one
   * published and the one it replaced) once its packs hold more than twice that.
   */
  diskUsage(): ResultAsync<number, GitFetchError>;
  /** Whether `commit` is whole in the cache now (its tree and every blob), without the network. */
  hasWhole(commit: string): ResultAsync<boolean, never>;
  /**
   * Offers a carried change (a pack thin against `base`) for `commit`: kept only when the cache
   * holds `base` whole, every object hashes to its name, and `commit` is then whole. A refusal
   * is an answer, not an error: `resolve` then fetches as before.
   */
  applyCarried(
    pack: Buffer,
    change: { readonly base: string; readonly commit: string },
  ): ResultAsync<CarryApplied, GitFetchError | AbortedError>;
  /**
   * The pack that takes a cache holding `base` whole to `commit` (both whole here): the commit and
   * the trees and blobs its tree does not share with the base's, or `over-cap` past `maxBytes`.
   */
  carriedPack(
    base: string,
    commit: string,
    maxBytes: number,
  ): ResultAsync<BuiltCarry, GitFetchError>;
}

/** Commits remembered as whole in the cache, and trees remembered as listed (both immutable). */
const REMEMBERED_COMMITS = 64;
const REMEMBERED_TREES = 4;
const REMEMBERED_TREE_OBJECTS = 4096;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_TREE_ENTRIES = 1_000_000;
const MAX_PACKS = 64;
/** Commits fetched again when the cache is discarded: a publish's new one and the one it replaces. */
const IN_USE = 2;
/** A cache whose packs take less than this is never compacted: it is not worth the walk. */
const COMPACT_FLOOR_BYTES = 8 * 1024 * 1024;

/** The environment variables an SSH source reads, once, when it is opened. */
const SSH_ENV = [
  'SSH_AUTH_SOCK',
  'BERTH_SSH_KEY',
  'BERTH_SSH_PASSPHRASE',
  'BERTH_SSH_KNOWN_HOSTS',
  'BERTH_SSH_HOST_FINGERPRINT',
] as const;

function sshSettings(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(SSH_ENV.map((name) => [name, env[name]]));
}

/**
 * A git source for one repository. Nothing is read or fetched until the first call: this only
 * checks the options. Sources on the same cache directory take turns, within a process and
 * across processes (see `lock.ts`). A read the cache cannot serve discards it and fetches the
 * commits in use again, once per `resolve` (see `heal.ts`).
 */
export function openGitSource(options: GitSourceOptions): Result<GitSource, InvalidInputError> {
  return checkOptions(options).map((remote) => {
    const url = remote.url;
    const cacheDir = resolvePath(options.cacheDir ?? defaultCacheDir(url));
    const store = new ObjectStore(url, cacheDir);
    const maxEntries = options.maxTreeEntries ?? DEFAULT_MAX_TREE_ENTRIES;
    const context: ResolveContext = {
      url,
      cacheDir,
      store,
      depth:
        options.depth === undefined ? 1 : options.depth === Infinity ? undefined : options.depth,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      auth: options.auth,
      remote,
      sshAuth: options.sshAuth,
      hostKeys: options.hostKeys,
      sshEnv: remote.transport === 'ssh' ? sshSettings(process.env) : undefined,
      logger: options.logger,
      maxPacks: MAX_PACKS,
      compactFloorBytes: COMPACT_FLOOR_BYTES,
    };
    // Reads take no signal, so the lock never answers them with Aborted.
    const reading = <T>(run: () => ResultAsync<T, GitReadError>) =>
      withDirLock(cacheDir, 'shared', () => {
        store.refresh();
        return run();
      }) as ResultAsync<T, GitReadError>;
    const read = (oid: string) => store.read(oid);
    // What this source already proved about the cache: publishing a commit just fetched, or
    // listing the tree of the release it replaces, then costs no lock, no disk and no walk.
    // It holds while the directory is not wiped (its generation) and until a read fails.
    const whole = new Bounded<string, string>(REMEMBERED_COMMITS);
    const trees = new Bounded<string, TreeEntry[]>(REMEMBERED_TREES);
    // Parsed tree objects, so listing a commit reads only the trees its parent did not have.
    const treeObjects = new Bounded<string, readonly RawTreeEntry[]>(REMEMBERED_TREE_OBJECTS);
    let rememberedGeneration = dirGeneration(cacheDir);
    const forget = () => {
      whole.clear();
      trees.clear();
      treeObjects.clear();
    };
    /** Forgets everything if the directory was wiped since it was remembered. */
    const remembered = () => {
      const generation = dirGeneration(cacheDir);
      if (generation !== rememberedGeneration) forget();
      rememberedGeneration = generation;
      return { whole, trees };
    };
    const forgetOnFailure = <T, E>(result: ResultAsync<T, E>): ResultAsync<T, E> =>
      result.mapErr((error) => {
        forget();
        return error;
      });
    // The commits last resolved (a publish's new commit and the release it replaces), fetched
    // again when the cache has to be discarded; and whether this resolve may still do that.
    let inUse: string[] = [];
    let healsLeft = 0;
    const used = (commit: string) => {
      inUse = [commit, ...inUse.filter((c) => c !== commit)].slice(0, IN_USE);
      healsLeft = 1;
      return commit;
    };
    /** Runs a read; when the cache is what failed, discards it, clones again and reads once more. */
    const healing = <T>(read: () => ResultAsync<T, GitReadError>): ResultAsync<T, GitReadError> =>
      read().orElse((error) => {
        if (!isCacheReadFailure(error) || healsLeft === 0) return errAsync(error);
        healsLeft -= 1;
        return withDirLock(cacheDir, 'exclusive', () => healCache(context, inUse, error.message))
          .orElse((failed) =>
            errAsync<never, GitReadError>({
              ...error,
              message: `${error.message}; cloning the cache again failed: ${failed.message}`,
            }),
          )
          .andThen(() => {
            forget();
            return read().mapErr(afterReclone);
          });
      });

    return {
      url,
      cacheDir,
      resolve: (revision, resolveOptions) => {
        const wanted = checkRevision(revision);
        if (wanted.isErr()) return errAsync(wanted.error);
        const signal = resolveOptions?.signal;
        const asked = 'sha' in wanted.value ? wanted.value.sha : undefined;
        const known = asked === undefined ? undefined : remembered().whole.get(asked);
        const locked = () =>
          withDirLock(
            cacheDir,
            'exclusive',
            () => {
              const packs = store.packCount;
              return resolveLocked(context, wanted.value, signal).andThen((commit) =>
                // A fetch added a pack: the cache may now hold far more than it needs.
                store.packCount > packs
                  ? compactCache(context, [
                      commit,
                      ...inUse.filter((c) => c !== commit).slice(0, IN_USE - 1),
                    ]).map(() => commit)
                  : okAsync(commit),
              );
            },
            signal,
          ).map((commit) => {
            const { whole: proved } = remembered();
            proved.set(commit, commit);
            if (asked !== undefined) proved.set(asked, commit);
            return used(commit);
          });
        if (known !== undefined && !signal?.aborted) {
          // Still whole unless someone removed packs meanwhile: one directory listing tells.
          return withDirLock(cacheDir, 'shared', () => store.packsIntact()).andThen((intact) =>
            intact ? okAsync(used(known)) : locked(),
          );
        }
        return locked();
      },
      listTree: (commit) =>
        checkOid(commit, 'commit').asyncAndThen((oid) => {
          const listed = remembered().trees.get(oid);
          if (listed) return okAsync([...listed]);
          return healing(() =>
            forgetOnFailure(reading(() => listTree(url, read, oid, maxEntries, treeObjects))),
          ).map((entries) => {
            remembered().trees.set(oid, entries);
            return [...entries];
          });
        }),
      readBlob: (oid) =>
        checkOid(oid, 'oid').asyncAndThen((blob) =>
          healing(() =>
            forgetOnFailure(
              reading(() =>
                store.read(blob).andThen((object) =>
                  object.type === 'blob'
                    ? // A copy: the bytes may be shared with the pack reader's cache of delta bases.
                      ok(Buffer.from(object.content))
                    : err(
                        berthError.gitObject({
                          url,
                          oid: blob,
                          problem: 'wrong-type',
                          message: `${blob} is a ${object.type}, not a blob`,
                        }),
                      ),
                ),
              ),
            ),
          ),
        ),
      diskUsage: () =>
        ResultAsync.fromPromise(diskUsage(cacheDir), (cause) =>
          berthError.gitFetch({
            url,
            reason: 'cache',
            message: `git cache ${cacheDir} cannot be measured: ${describeCause(cause)}`,
            cause,
          }),
        ),
      hasWhole: (commit) =>
        withDirLock(cacheDir, 'shared', () => {
          store.refresh();
          return store.completeness(commit);
        })
          .map((state) => state === 'complete')
          .orElse(() => okAsync(false)),
      applyCarried: (pack, change) =>
        withDirLock(cacheDir, 'exclusive', () =>
          applyCarriedPack(url, store, cacheDir, pack, change.base, change.commit),
        ).map((outcome) => {
          if (outcome.applied) remembered().whole.set(change.commit, change.commit);
          return outcome;
        }),
      carriedPack: (base, commit, maxBytes) =>
        withDirLock(cacheDir, 'shared', () => {
          store.refresh();
          return ResultAsync.fromPromise(
            buildCarriedPack((oid) => store.lookup.read(oid), base, commit, maxBytes),
            (cause) =>
              berthError.gitFetch({
                url,
                reason: 'cache',
                message: `git cache ${cacheDir}: building a carried change failed: ${describeCause(cause)}`,
                cause,
              }),
          );
        }) as ResultAsync<BuiltCarry, GitFetchError>,
      diffTrees: (from, to) => {
        const checkedFrom = from === undefined ? ok(undefined) : checkOid(from, 'from');
        if (checkedFrom.isErr()) return errAsync(checkedFrom.error);
        return checkOid(to, 'to').asyncAndThen((toOid) =>
          healing(() =>
            forgetOnFailure(
              reading(() => diffTrees(url, read, checkedFrom.value, toOid, maxEntries)),
            ),
          ),
        );
      },
    };
  });
}
