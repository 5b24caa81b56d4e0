// Follows one etcd key, level-triggered: read it, then watch from the read's revision + 1; after
// a disconnect, read it again and watch from the last applied revision + 1; after a cancelled
// watch (a compacted start revision), read it again and watch from that read. Every read is
// delivered too, so a change skipped by the stream still arrives.
import type { EtcdConnection } from './etcd';
import { toEtcdFailure, type EtcdFailure } from './etcd-failure';
import { getKey } from './etcd-kv';
import { openWatchSession, type WatchEnd, type WatchSession } from './etcd-watch';
import { backoffDelay, interruptibleSleep, type BackoffPolicy } from './backoff';

/** What the key holds, as seen by a read or the watch. */
export type ObservedValue =
  | {
      readonly kind: 'put';
      readonly value: Buffer;
      readonly modRevision: number;
      readonly via: 'read' | 'watch';
      readonly receivedAt: number;
    }
  | { readonly kind: 'absent' | 'deleted'; readonly revision: number };

export interface WatchStart {
  readonly fromRevision: number;
  /** `read`: the read's revision + 1; `last-applied`: resuming after a disconnect. */
  readonly resumedFrom: 'read' | 'last-applied';
  /** true for the first watch of this follower, false for every re-established one. */
  readonly first: boolean;
  /** Why the previous session ended (absent for the first). */
  readonly after?: WatchEnd;
}

export interface KeyFollowerOptions {
  readonly etcd: EtcdConnection;
  readonly key: string;
  /** The revision of the last value applied, if any: a reconnect resumes after it. */
  lastApplied(): number | undefined;
  /** Between attempts while etcd does not answer. */
  readonly backoff: BackoffPolicy;
  onValue(value: ObservedValue): void;
  onWatching(start: WatchStart): void;
  /** A read failed or the watch broke: etcd is unreachable from here for now. */
  onUnreachable(error: EtcdFailure): void;
  /** etcd cancelled the watch from `requestedRevision`: history was compacted; the key is read again. */
  onCompacted(requestedRevision: number): void;
}

export const now = (): number => performance.timeOrigin + performance.now();

export class KeyFollower {
  private readonly stopController = new AbortController();
  private endSession: () => void = () => undefined;
  private failures = 0;
  private readonly loop: Promise<void>;

  constructor(private readonly options: KeyFollowerOptions) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.endSession();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async pause(failures: number): Promise<void> {
    await interruptibleSleep(
      backoffDelay(this.options.backoff, failures),
      this.stopController.signal,
    ).done;
  }

  private deliverRead(kv: { value: Buffer; modRevision: number } | undefined, revision: number) {
    this.options.onValue(
      kv
        ? {
            kind: 'put',
            value: kv.value,
            modRevision: kv.modRevision,
            via: 'read',
            receivedAt: now(),
          }
        : { kind: 'absent', revision },
    );
  }

  /** Watches from `from` until the session ends; answers why. */
  private watchFrom(
    from: number,
    start: WatchStart,
  ): Promise<{ reason: WatchEnd | 'stopped'; cause?: unknown }> {
    const { etcd, key } = this.options;
    return new Promise((resolve) => {
      const session: WatchSession = openWatchSession(etcd, { key }, from, {
        onCreated: () => {
          this.failures = 0;
          this.options.onWatching(start);
        },
        onChange: (change) =>
          this.options.onValue(
            change.type === 'put'
              ? {
                  kind: 'put',
                  value: change.value,
                  modRevision: change.modRevision,
                  via: 'watch',
                  receivedAt: now(),
                }
              : { kind: 'deleted', revision: change.modRevision },
          ),
        onEnd: (reason, cause) => resolve({ reason, cause }),
      });
      this.endSession = () => {
        void session.close();
        resolve({ reason: 'stopped' });
      };
      if (this.stopped) this.endSession();
    });
  }

  private async run(): Promise<void> {
    const { etcd, key } = this.options;
    let first = true;
    let after: WatchEnd | undefined;
    while (!this.stopped) {
      const read = await getKey(etcd, key, { signal: this.stopController.signal });
      if (this.stopped) return;
      if (read.isErr()) {
        this.options.onUnreachable(read.error);
        await this.pause(++this.failures);
        continue;
      }
      this.deliverRead(read.value.kv, read.value.revision);
      const applied = this.options.lastApplied();
      const resume = after === 'disconnected' && applied !== undefined;
      const from = resume
        ? Math.min(applied + 1, read.value.revision + 1)
        : read.value.revision + 1;
      const ended = await this.watchFrom(from, {
        fromRevision: from,
        resumedFrom: resume ? 'last-applied' : 'read',
        first,
        ...(after && { after }),
      });
      if (ended.reason === 'stopped') return;
      first = false;
      after = ended.reason;
      if (ended.reason === 'cancelled') {
        this.options.onCompacted(from);
        // A watch cancelled again from a fresh read is not compaction: do not spin.
        if (this.failures++ > 0) await this.pause(this.failures);
        continue;
      }
      this.options.onUnreachable(toEtcdFailure(etcd, `watch ${key}`, ended.cause));
      await this.pause(++this.failures);
    }
  }
}
