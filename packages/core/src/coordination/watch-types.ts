// The public shapes of watchAndPull: options, the source and targets it takes, its events,
// its status and its handle.
import type { ResultAsync } from 'neverthrow';
import type { AbortedError, BerthError, InvalidInputError } from '../errors';
import type { GitError } from '../git/errors';
import type { GitLogger } from '../git/logger';
import type { ActivationHook, PublishError } from '../content/publish';
import type { CarryApplied } from '../git/carry-apply';
import type { BuiltCarry } from '../git/carried-pack';
import type { GitFetchError } from '../errors';
import type { SyncPath } from './carried-sync';
import type { ContentTarget } from '../content/target';
import type { TreeEntry } from '../content/tree-safety';
import type { Announcement } from './announcement';
import type { EtcdConnection } from './etcd';
import type { EtcdFailure } from './etcd-failure';
import type { InvalidAnnouncementError } from './watch-errors';

/** pino's method shape: a pino logger (or a child of one) fits as it is. */
export type WatchLogger = GitLogger;

/** Everything the source may fail with while resolving or reading a commit. */
export type WatchSourceError = GitError | InvalidInputError | AbortedError;

/** The repository the watcher publishes from; a git source (`openGitSource`) is one. */
export interface WatchSource {
  resolve(
    revision: string,
    options?: { readonly signal?: AbortSignal },
  ): ResultAsync<string, WatchSourceError>;
  listTree(commit: string): ResultAsync<readonly TreeEntry[], WatchSourceError>;
  readBlob(oid: string): ResultAsync<Buffer, WatchSourceError>;
  /** Bytes the source's cache takes on disk (a git source has it), for the node's status. */
  diskUsage?(): ResultAsync<number, unknown>;
  /** Carried changes (a git source has these three): whether a commit is whole in the cache. */
  hasWhole?(commit: string): ResultAsync<boolean, never>;
  /** Offers a carried pack for `commit`, thin against `base` (see `GitSource.applyCarried`). */
  applyCarried?(
    pack: Buffer,
    change: { readonly base: string; readonly commit: string },
  ): ResultAsync<CarryApplied, GitFetchError | AbortedError>;
  /** The pack taking a cache from `base` to `commit`, for the elected fetch to share. */
  carriedPack?(
    base: string,
    commit: string,
    maxBytes: number,
  ): ResultAsync<BuiltCarry, GitFetchError>;
}

/** One folder of the repository published into one target, with its own hooks. */
export interface WatchTarget {
  readonly target: ContentTarget;
  /** The repository folder that becomes the release's root (e.g. `site/`); default the whole tree. */
  readonly subdir?: string;
  /** `configuration` targets are published and activated before `content` ones. Default `content`. */
  readonly role?: 'configuration' | 'content';
  /** Where the target's path is mounted for the hooks' `releasePath` (e.g. `/etc/nginx`). */
  readonly mountPath?: string;
  /** A check of the staged release before the swap (e.g. `nginxConfigCheck`). */
  readonly beforeActivate?: ActivationHook;
  /** An action after the swap (e.g. `nginxReload`). */
  readonly afterActivate?: ActivationHook;
  /** Releases to keep (default 5). */
  readonly keep?: number;
}

/** What `watchAndPull` watches, where it publishes, and how it retries and reports. */
export interface WatchAndPullOptions {
  readonly etcd: EtcdConnection;
  /** The key whose value says what to serve. */
  readonly key: string;
  readonly source: WatchSource;
  /** Published in order, configuration targets first; at least one. */
  readonly targets: readonly WatchTarget[];
  /** This node's name in the status prefix: unique in the fleet. */
  readonly nodeId: string;
  /** Where nodes write their status. Default `berth/status/<key>/`; must not overlap the key. */
  readonly statusPrefix?: string;
  /** The status key's lease, in seconds: a node that dies drops out after this. Default 10. */
  readonly statusTtlSeconds?: number;
  /** Wait for `minMs` of quiet after a change, at most `maxMs` after the first. Default none. */
  readonly debounce?: { readonly minMs: number; readonly maxMs: number };
  /** Retries of a failed publish. Defaults: 200 ms, 30 000 ms, no limit. */
  readonly retry?: {
    readonly initialMs?: number;
    readonly maxMs?: number;
    /** Failed attempts of one announcement after which it is given up until a newer one. */
    readonly maxFailures?: number;
  };
  /**
   * The elected fetch: for an announcement without a carried change, one node (chosen with an
   * etcd lock) fetches from the origin and shares the change in etcd; the others wait for it up
   * to `waitMs` (default 30 000) and fetch themselves if it does not come. `lockTtlSeconds`
   * (default 5): how soon a node that died holding the lock is replaced. `maxBytes` (default
   * 512 KiB) and `ttlSeconds` (default 600): the shared change's cap and lease. Default off.
   */
  readonly sharedFetch?:
    | boolean
    | {
        readonly waitMs?: number;
        readonly lockTtlSeconds?: number;
        readonly maxBytes?: number;
        readonly ttlSeconds?: number;
      };
  /** A random wait of up to this many ms before each publish, to spread a fleet's fetches. Default 0. */
  readonly jitterMs?: number;
  /** Aborting it stops the watcher, as `stop()` does. */
  readonly signal?: AbortSignal;
  readonly logger?: WatchLogger;
}

/** Where the time of one sync went, in ms. */
export interface SyncTimings {
  /** When the announcement reached this node (epoch ms, fractional): by the watch or a read. */
  readonly receivedAt: number;
  /** From arrival to the start of the publish (waiting behind another, debounce, jitter). */
  readonly queuedMs: number;
  /** Resolving the announcement to a commit, fetching as needed. */
  readonly fetchMs: number;
  readonly totalMs: number;
}

/** What one target did in a sync. */
export interface TargetSync {
  readonly target: string;
  readonly subdir: string;
  /** true when the commit was already active there. */
  readonly unchanged: boolean;
  /** true when the active release was missing or damaged and was rebuilt and re-activated. */
  readonly repaired: boolean;
  readonly files: number;
  readonly bytesSent: number;
  /** Reading the target's state and planning, in ms. */
  readonly planMs: number;
  /** Uploading the changed files (and, when there is no check hook, the swap in the same step). */
  readonly stageMs: number;
  /** The check hook and the swap, when they are a step of their own. */
  readonly activateMs: number;
  /** The after-swap hook (e.g. nginx reload). */
  readonly afterMs: number;
}

/** What a sync can fail with. */
export type WatchSyncError =
  PublishError | WatchSourceError | EtcdFailure | InvalidAnnouncementError | AbortedError;

/**
 * An after-swap hook that failed and is being retried: the commit is live in the target, the
 * action after the swap (e.g. the nginx reload) has not succeeded yet. The node is unhealthy.
 */
export interface PendingHook {
  readonly hook: 'afterActivate';
  /** The target's description, e.g. `www-content:/etc/nginx`. */
  readonly target: string;
  readonly commit: string;
  /** Runs so far, the first included. */
  readonly attempts: number;
  /** When it first failed (ISO 8601). */
  readonly since: string;
  readonly error: { readonly kind: string; readonly message: string };
}

/** What a node waits for before it can publish: a container of a target that does not exist yet. */
export interface Waiting {
  readonly for: 'container';
  /** The container's name as the target names it. */
  readonly container: string;
  readonly message: string;
  /** When the wait began (ISO 8601). */
  readonly since: string;
}

/** What a watcher reports, one typed event at a time, through `WatchHandle.events`. */
export type WatchEvent =
  | {
      readonly type: 'synced';
      readonly revision: number;
      readonly commit: string;
      readonly announcement: Announcement;
      /** true when every target already served the commit. */
      readonly unchanged: boolean;
      readonly targets: readonly TargetSync[];
      readonly timings: SyncTimings;
      /** How the commit reached the cache: carried, shared, fetched from the origin, or there. */
      readonly path: SyncPath;
      /** Why a carried or shared change was not used, when one was looked for. */
      readonly carryNote?: string;
    }
  | {
      readonly type: 'skipped';
      readonly revision: number;
      /** `superseded`: a newer announcement came first; `no-value`: the key is absent or was deleted. */
      readonly reason: 'superseded' | 'no-value';
    }
  | {
      readonly type: 'failed';
      readonly revision: number;
      readonly announcement: Announcement;
      readonly error: WatchSyncError;
      readonly attempt: number;
      /** true when `retry.maxFailures` was reached: not retried until a newer announcement. */
      readonly final: boolean;
    }
  | {
      readonly type: 'retrying';
      readonly revision: number;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'invalid-value';
      readonly revision: number;
      readonly error: InvalidAnnouncementError;
    }
  | {
      readonly type: 'watching';
      readonly fromRevision: number;
      readonly resumedFrom: 'read' | 'last-applied';
    }
  | {
      readonly type: 'reconnected';
      readonly fromRevision: number;
      readonly resumedFrom: 'read' | 'last-applied';
      readonly after: 'disconnected' | 'cancelled';
    }
  | { readonly type: 'disconnected'; readonly error: EtcdFailure }
  | { readonly type: 'compacted'; readonly requestedRevision: number }
  | {
      /** A target's container does not exist (yet): the node polls for it and publishes once it does. */
      readonly type: 'waiting';
      readonly revision: number;
      readonly container: string;
      readonly message: string;
      readonly attempt: number;
      readonly delayMs?: number;
    }
  | {
      /** An after-swap hook failed (again): the node is unhealthy, the hook is retried alone. */
      readonly type: 'hook-failed';
      readonly hook: 'afterActivate';
      readonly target: string;
      readonly commit: string;
      readonly attempt: number;
      readonly error: BerthError;
    }
  | {
      /** A failed after-swap hook succeeded (or a later swap's hook did). */
      readonly type: 'hook-recovered';
      readonly hook: 'afterActivate';
      readonly target: string;
      readonly commit: string;
      readonly attempts: number;
    }
  | { readonly type: 'health'; readonly healthy: boolean; readonly reason?: string }
  | { readonly type: 'status-failed'; readonly error: EtcdFailure }
  | { readonly type: 'stopped' };

/** The `type` of a {@link WatchEvent}. */
export type WatchEventType = WatchEvent['type'];

/** What `status()` says, also written (in short) to the node's status key. */
export interface WatchStatus {
  readonly nodeId: string;
  readonly key: string;
  /** The commit every target serves after the last successful sync. */
  readonly commit: string | undefined;
  /** The etcd revision of the last applied announcement. */
  readonly revision: number | undefined;
  /** The newest announcement's revision seen (applied or not). */
  readonly wantedRevision: number | undefined;
  /** true while etcd answers. */
  readonly connected: boolean;
  /** connected, the last attempt did not fail, and no after-swap hook is failing. */
  readonly healthy: boolean;
  /** An after-swap hook that failed and is being retried (the node is unhealthy meanwhile). */
  readonly pendingHook?: PendingHook;
  /** Set while the node waits for a target's container to exist (it is not healthy meanwhile). */
  readonly waiting?: Waiting;
  readonly lastError:
    { readonly kind: string; readonly message: string; readonly at: string } | undefined;
  /** Failed attempts since the last success. */
  readonly failures: number;
  /** How the last published commit reached the cache (see `SyncPath`). */
  readonly path?: SyncPath;
}

/** A running watcher. */
export interface WatchHandle {
  readonly nodeId: string;
  /**
   * Settles after the first sync, once the watch on the key is set up too (so a ready node
   * reports itself healthy): the status, or the first attempt's error (the watcher goes on).
   */
  readonly ready: ResultAsync<WatchStatus, WatchSyncError>;
  /** Every event from the moment the iterator is made; ends when the watcher stops. */
  readonly events: AsyncIterable<WatchEvent>;
  status(): WatchStatus;
  /** Reads the key again and publishes it now (refs are resolved again), cutting a backoff short. */
  syncNow(): ResultAsync<WatchStatus, WatchSyncError>;
  /**
   * Stops after the publish in flight (a swap is never interrupted) and removes the status key.
   * Never rejects; calling it again answers the same promise.
   */
  stop(): Promise<void>;
}
