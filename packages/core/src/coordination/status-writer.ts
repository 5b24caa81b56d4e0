// Keeps one node's status key in etcd, attached to a lease: written on every change, kept alive
// at a third of the TTL, written again under a new lease after an outage that outlived the old.
import { etcd3 } from '../util/dependencies';
import type { EtcdConnection } from './etcd';
import type { EtcdFailure } from './etcd-failure';
import { putKey } from './etcd-kv';
import { grantLease, type EtcdLease } from './etcd-lease';
import { backoffDelay, interruptibleSleep, type BackoffPolicy } from './backoff';
import { encodeStatus, type NodeStatus } from './node-status';

export interface StatusWriterOptions {
  readonly etcd: EtcdConnection;
  /** `<statusPrefix><nodeId>`. */
  readonly key: string;
  readonly ttlSeconds: number;
  /** Between attempts while etcd does not answer. */
  readonly backoff: BackoffPolicy;
  /** A write or keep-alive failed (called on every failure). */
  onFailure(error: EtcdFailure): void;
  /** A write or keep-alive succeeded after failures. */
  onRecovered(): void;
}

const REVOKE_TIMEOUT_MS = 2_000;

export class StatusWriter {
  private latest: NodeStatus | undefined;
  private dirty = false;
  private lease: EtcdLease | undefined;
  private lastAlive = 0;
  private failing = false;
  private failures = 0;
  private wake: () => void = () => undefined;
  private readonly stopController = new AbortController();
  private readonly loop: Promise<void>;

  constructor(private readonly options: StatusWriterOptions) {
    this.loop = this.run();
  }

  /** Writes this status as soon as etcd takes it; a newer one replaces one not yet written. */
  update(status: NodeStatus): void {
    this.latest = status;
    this.dirty = true;
    this.wake();
  }

  /** Stops writing and revokes the lease, so the node drops out of the status prefix now. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wake();
    await this.loop;
    // Unrevoked (etcd unreachable), the lease still expires within its TTL: nothing else to do.
    if (this.lease) void (await this.lease.revoke({ timeoutMs: REVOKE_TIMEOUT_MS }));
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private failed(error: EtcdFailure): void {
    // A write cut short by stop() is the stop, not a failure to report (the lease is revoked).
    if (this.stopped && error.kind === 'Aborted') return;
    this.failing = true;
    this.failures++;
    this.options.onFailure(error);
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.failing) {
      this.failing = false;
      this.options.onRecovered();
    }
  }

  private async pause(ms: number): Promise<void> {
    const sleep = interruptibleSleep(ms, this.stopController.signal);
    this.wake = sleep.wake;
    await sleep.done;
    this.wake = () => undefined;
  }

  /** One step: get a lease, write the status, or keep the lease alive. Answers false on failure. */
  private async step(): Promise<boolean> {
    const { etcd, ttlSeconds } = this.options;
    const ttlMs = ttlSeconds * 1000;
    if (this.lease && performance.now() - this.lastAlive > ttlMs) {
      // etcd has dropped it by now (and the key with it): start over.
      this.lease = undefined;
      this.dirty = this.latest !== undefined;
    }
    if (!this.lease) {
      const granted = await grantLease(etcd, ttlSeconds, { signal: this.stopController.signal });
      if (granted.isErr()) return (this.failed(granted.error), false);
      this.lease = granted.value;
      this.lastAlive = performance.now();
      this.dirty = this.latest !== undefined;
    }
    const lease = this.lease;
    if (this.dirty && this.latest) {
      const written = this.latest;
      const put = await putKey(etcd, this.options.key, encodeStatus(written), {
        lease: lease.id,
        signal: this.stopController.signal,
      });
      if (put.isErr()) {
        if (put.error.cause instanceof etcd3().EtcdLeaseInvalidError) this.lease = undefined;
        return (this.failed(put.error), false);
      }
      if (this.latest === written) this.dirty = false;
      this.lastAlive = performance.now();
      return true;
    }
    const due = this.lastAlive + ttlMs / 3 - performance.now();
    if (due > 0) {
      await this.pause(due);
      return true;
    }
    const alive = await lease.keepAlive({ signal: this.stopController.signal });
    if (alive.isErr()) return (this.failed(alive.error), false);
    if (alive.value === 'expired') {
      this.lease = undefined;
      this.dirty = this.latest !== undefined;
    } else {
      this.lastAlive = performance.now();
    }
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const stepped = await this.step();
      if (this.stopped) return;
      if (stepped) {
        if (!this.dirty || this.latest === undefined) this.succeeded();
        continue;
      }
      await this.pause(backoffDelay(this.options.backoff, this.failures));
    }
  }
}
