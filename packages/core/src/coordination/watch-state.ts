// What a watcher knows about itself: connection, last applied, last error, health. Emits the
// `health` event on every change of health and keeps the status key in step.
import { describeCause } from '../errors';
import type { SyncPath } from './carried-sync';
import type { NodeDiskUsage, NodeStatus } from './node-status';
import type { PendingHook, Waiting, WatchEvent, WatchStatus } from './watch-types';

export interface WatchStateOptions {
  readonly nodeId: string;
  readonly key: string;
  emit(event: WatchEvent): void;
  /** Called with the new status on every change worth writing. */
  publishStatus(status: NodeStatus): void;
}

interface Failure {
  readonly kind: string;
  readonly message: string;
  readonly at: string;
}

function asFailure(error: unknown): Failure {
  const e = error as { kind?: unknown; message?: unknown };
  return {
    kind: typeof e?.kind === 'string' ? e.kind : 'Unknown',
    message: typeof e?.message === 'string' ? e.message : describeCause(error),
    at: new Date().toISOString(),
  };
}

export class WatchState {
  commit: string | undefined;
  revision: number | undefined;
  wantedRevision: number | undefined;
  connected = false;
  failures = 0;
  private activeSince: string | undefined;
  private lastSyncMs: number | undefined;
  private path: SyncPath | undefined;
  private lastError: Failure | undefined;
  /** The sync or the announcement is failing (not etcd). */
  private failing = false;
  private wasHealthy: boolean | undefined;
  private hook: PendingHook | undefined;
  private wait: Waiting | undefined;
  private disk: NodeDiskUsage | undefined;

  constructor(private readonly options: WatchStateOptions) {}

  get healthy(): boolean {
    return this.connected && !this.failing && this.hook === undefined;
  }

  /** The error the node reports: the failing sync's, else the failing hook's. */
  private get currentError(): { readonly kind: string; readonly message: string } | undefined {
    if (this.failing && this.lastError)
      return { kind: this.lastError.kind, message: this.lastError.message };
    return this.hook?.error;
  }

  snapshot(): WatchStatus {
    return {
      nodeId: this.options.nodeId,
      key: this.options.key,
      commit: this.commit,
      revision: this.revision,
      wantedRevision: this.wantedRevision,
      connected: this.connected,
      healthy: this.healthy,
      lastError: this.lastError,
      failures: this.failures,
      ...(this.path && { path: this.path }),
      ...(this.hook && { pendingHook: this.hook }),
      ...(this.wait && { waiting: this.wait }),
    };
  }

  nodeStatus(): NodeStatus {
    return {
      nodeId: this.options.nodeId,
      commit: this.commit,
      revision: this.revision,
      ok: !this.failing && this.hook === undefined,
      healthy: this.healthy,
      error: this.currentError,
      updatedAt: new Date().toISOString(),
      ...(this.activeSince !== undefined && { activeSince: this.activeSince }),
      ...(this.lastSyncMs !== undefined && { lastSyncMs: this.lastSyncMs }),
      ...(this.path && { path: this.path }),
      ...(this.hook && { pendingHook: this.hook }),
      ...(this.disk && { diskUsage: this.disk }),
      state: this.wait ? 'waiting' : 'active',
      ...(this.wait && { waiting: this.wait }),
    };
  }

  /** A target's container does not exist yet: the node waits (polls) for it. */
  waiting(error: unknown, container: string, failures: number): void {
    const message = `waiting for container ${container} to exist: it publishes as soon as it does`;
    this.wait = {
      for: 'container',
      container,
      message,
      since: this.wait?.since ?? new Date().toISOString(),
    };
    this.failed(error, failures, true);
  }

  /** An after-swap hook failed (again: the attempts count), or none fails any more. */
  hookPending(hook: PendingHook | undefined): void {
    if (hook === undefined && this.hook === undefined) return;
    this.hook = hook;
    if (hook) this.lastError = { ...hook.error, at: new Date().toISOString() };
    this.changed();
  }

  /** New disk figures for the status. */
  diskUsage(usage: NodeDiskUsage): void {
    this.disk = usage;
    this.changed();
  }

  saw(revision: number): void {
    this.wantedRevision = Math.max(this.wantedRevision ?? 0, revision);
  }

  applied(commit: string, revision: number, syncMs?: number, path?: SyncPath): void {
    if (commit !== this.commit) this.activeSince = new Date().toISOString();
    if (path !== undefined && (commit !== this.commit || path !== 'cache')) this.path = path;
    if (syncMs !== undefined) this.lastSyncMs = syncMs;
    this.commit = commit;
    this.revision = revision;
    this.failing = false;
    this.failures = 0;
    this.wait = undefined;
    this.changed();
  }

  /** A sync failed or the announcement is unusable. */
  failed(error: unknown, failures: number, waiting = false): void {
    if (!waiting) this.wait = undefined;
    this.failing = true;
    this.failures = failures;
    this.lastError = asFailure(error);
    this.changed();
  }

  /** etcd answered (`true`) or stopped answering (`false`, with why). */
  reachable(connected: boolean, error?: unknown): void {
    if (error !== undefined) this.lastError = asFailure(error);
    if (this.connected === connected && error === undefined) return;
    this.connected = connected;
    this.changed();
  }

  private get reason(): string | undefined {
    const error = this.connected ? (this.currentError ?? this.lastError) : this.lastError;
    if (!error) return undefined;
    const hook = !this.failing && this.connected && this.hook;
    return hook
      ? `${hook.hook} of ${hook.target} failed: ${error.kind}: ${error.message}`
      : `${error.kind}: ${error.message}`;
  }

  private changed(): void {
    const healthy = this.healthy;
    if (healthy !== this.wasHealthy) {
      this.wasHealthy = healthy;
      this.options.emit({
        type: 'health',
        healthy,
        ...(!healthy && this.reason && { reason: this.reason }),
      });
    }
    this.options.publishStatus(this.nodeStatus());
  }
}
