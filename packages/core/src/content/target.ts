import type { ResultAsync } from 'neverthrow';
import type {
  AbortedError,
  DockerApiError,
  InvalidInputError,
  NotFoundError,
  TargetIoError,
  TargetStateChangedError,
  TimeoutError,
} from '../errors';
import type { ReleaseCheck } from './release-manifest';

/**
 * Where releases live and how the active one is swapped: the port the publisher talks to.
 *
 * Layout, the same for every adapter:
 *
 *     <path>/current            -> .berth/releases/<sha>   (relative symlink, swapped by rename)
 *     <path>/.berth/previous    -> releases/<sha>
 *     <path>/.berth/releases/<sha>/…   one complete tree per release, unchanged files hard-linked
 *     <path>/.berth/releases/<sha>.manifest   written last: the tree id and every file's path,
 *                                      mode, size and blob id (see release-manifest.ts)
 *     <path>/.berth/staging/<owned name>/…   one work directory per publish; never served
 *
 * A release directory appears by rename only once it is complete, and counts as a release only
 * with its manifest; anything else at a release path is stale staging, moved aside and rebuilt.
 * `current` changes by rename only, and only to a verified release, so a reader sees the old
 * tree or the new one and nothing between.
 */
export interface ContentTarget {
  /** e.g. `container www-content:/www` or `directory /srv/www`. */
  readonly description: string;
  /**
   * The active and previous releases and every complete release present. An adapter may answer
   * from what its own last step saw (every write re-checks the active release on the target);
   * `fresh: true` always looks.
   */
  state(options?: {
    readonly signal?: AbortSignal;
    readonly fresh?: boolean;
  }): ResultAsync<ReleaseState, TargetError>;
  /** Writes a release (skipped when that release is already complete) and, if asked, activates it. */
  stage(request: StageRequest): ResultAsync<StageReport, TargetError>;
  /**
   * Checks a release against its manifest: `cheap` (default) stats every file for its size and
   * mode; `full` also re-hashes every file against its blob id and finds extra files. A damaged
   * or missing release is an answer (`verified: false` with the problems), not an error.
   */
  check(
    commit: string,
    options?: { readonly full?: boolean; readonly signal?: AbortSignal },
  ): ResultAsync<ReleaseCheck, TargetError>;
  /** Swaps `current` to a complete release and prunes to `keep`. */
  activate(commit: string, options?: ActivateOptions): ResultAsync<ReleaseState, TargetError>;
  /** Re-activates the previous release. */
  rollback(options?: { readonly signal?: AbortSignal }): ResultAsync<ReleaseState, TargetError>;
  /** Removes releases beyond the `keep` most recently activated; never the active or previous one. */
  prune(
    keep: number,
    options?: { readonly signal?: AbortSignal },
  ): ResultAsync<readonly string[], TargetError>;
  /**
   * Bytes the target's releases, staging and trash take under `.berth` (a file hard-linked into
   * several releases counted once). Optional for adapters written outside berth.
   */
  diskUsage?(options?: { readonly signal?: AbortSignal }): ResultAsync<number, TargetError>;
  /** Frees what the target holds (a helper container), after the work it left for after its last answer (pruning) has finished; the releases stay. */
  close(): ResultAsync<void, TargetError>;
}

export interface ReleaseState {
  readonly active?: string;
  readonly previous?: string;
  /** Complete releases present, most recently activated first. */
  readonly releases: readonly string[];
}

/** One file to write into a release. */
export interface StagedFile {
  /** Relative, `/`-separated, already judged safe. */
  readonly path: string;
  readonly kind: 'file' | 'executable' | 'symlink';
  /** File content, or the symlink's target. */
  readonly content: Buffer;
  /** Its git blob id, when known (else the target hashes the content for the manifest). */
  readonly oid?: string;
}

export interface StageRequest {
  readonly commit: string;
  /**
   * The complete release the new one starts from: its files are carried over inside the target
   * (hard links) and only `files` are sent. Without it, `files` is the whole tree.
   */
  readonly base?: string;
  /** Added and modified files, produced lazily so a large tree streams through. */
  readonly files: AsyncIterable<StagedFile>;
  /** Paths (files and directories) of `base` that are not in the new tree. */
  readonly deleted: readonly string[];
  /** Paths of `files` that exist in `base`: removed first, so the base's hard links keep their content. */
  readonly replaced: readonly string[];
  /** Modification time for every written file (the commit's time, so ETags change with content). */
  readonly mtime: Date;
  /** The active release the caller believes is there; the target refuses to build on a stale view. */
  readonly expectActive: string | undefined;
  /** The tree id the release must have: a staged release that does not is discarded (`TargetIo`). */
  readonly tree?: string;
  /**
   * The release at this commit's path is damaged (a check said so): build a new one and put it
   * in its place, even though a manifest is there.
   */
  readonly replaceExisting?: boolean;
  /** Activate in the same step (one round trip where the adapter can). */
  readonly activate?: ActivateOptions;
  readonly signal?: AbortSignal;
}

export interface ActivateOptions {
  /** Releases to keep after activation (default 5); the active and previous are always kept. */
  readonly keep?: number;
  /**
   * Swap only if this is still the active release (`undefined`: none is): another writer's
   * swap since then fails the activation as `TargetStateChanged` instead of being overwritten.
   */
  readonly expect?: { readonly active: string | undefined };
  readonly signal?: AbortSignal;
}

export interface StageReport {
  /** Bytes of file content sent to the target (0 when the release was already there). */
  readonly bytesSent: number;
  /** false when the release was already complete and nothing was written. */
  readonly written: boolean;
  /** The state after the step. */
  readonly state: ReleaseState;
}

export type TargetError =
  | TargetStateChangedError
  | TargetIoError
  | InvalidInputError
  | NotFoundError
  | DockerApiError
  | TimeoutError
  | AbortedError;

export const DEFAULT_KEEP = 5;

/** A release name: a full commit SHA (40 or 64 hex). */
export function isReleaseName(name: string): boolean {
  return /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(name);
}
