// After-swap hooks that failed (say, an nginx reload): the swap is done, so publishing again
// would find the commit active and never run the hook. They are retried alone, with the
// watcher's backoff, until they succeed; until then the node is unhealthy.
import { backoffDelay, interruptibleSleep, type BackoffPolicy } from './backoff';
import type { AfterHookListener, FailedAfterHook } from './sync-targets';
import type { PendingHook, WatchEvent, WatchTarget } from './watch-types';

export interface AfterHookRetryOptions {
  readonly retry: BackoffPolicy;
  /** Runs `work` when no publish runs (a hook and a swap into one target never overlap). */
  serial<T>(work: () => Promise<T>): Promise<T>;
  /** The oldest hook still failing, or undefined once none is. */
  onPending(pending: PendingHook | undefined): void;
  emit(event: WatchEvent): void;
  readonly random?: () => number;
}

interface Pending {
  failed: FailedAfterHook;
  attempts: number;
  readonly since: string;
}

export class AfterHookRetry {
  private readonly pending = new Map<WatchTarget, Pending>();
  private readonly stopController = new AbortController();
  private wakeLoop: () => void = () => undefined;
  private wakeSleep: () => void = () => undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly options: AfterHookRetryOptions) {
    this.loop = this.run();
  }

  /** Takes each after-hook's outcome from a publish: a failure is kept, a success clears the target. */
  readonly record: AfterHookListener = (target, outcome) => {
    const before = this.pending.get(target);
    if (outcome.failed) {
      const same = before?.failed.context.commit === outcome.failed.context.commit;
      const entry: Pending = {
        failed: outcome.failed,
        attempts: same && before ? before.attempts + 1 : 1,
        since: same && before ? before.since : new Date().toISOString(),
      };
      this.pending.set(target, entry);
      this.failedEvent(entry);
    } else if (before) {
      this.pending.delete(target);
      this.recoveredEvent(before);
    }
    this.changed();
    this.wakeLoop();
  };

  /** Cuts the backoff short: the pending hooks run now. */
  retryNow(): void {
    this.wakeSleep();
  }

  /** Stops retrying; a hook that runs finishes first. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wakeLoop();
    this.wakeSleep();
    await this.loop;
  }

  private status(entry: Pending): PendingHook {
    return {
      hook: 'afterActivate',
      target: entry.failed.target.target.description,
      commit: entry.failed.context.commit,
      attempts: entry.attempts,
      since: entry.since,
      error: { kind: entry.failed.error.kind, message: entry.failed.error.message },
    };
  }

  private failedEvent(entry: Pending): void {
    const s = this.status(entry);
    this.options.emit({
      type: 'hook-failed',
      hook: s.hook,
      target: s.target,
      commit: s.commit,
      attempt: s.attempts,
      error: entry.failed.error,
    });
  }

  private recoveredEvent(entry: Pending): void {
    const s = this.status(entry);
    this.options.emit({
      type: 'hook-recovered',
      hook: s.hook,
      target: s.target,
      commit: s.commit,
      attempts: s.attempts,
    });
  }

  private changed(): void {
    const first = this.pending.values().next();
    this.options.onPending(first.done ? undefined : this.status(first.value));
  }

  private async runPending(): Promise<void> {
    for (const [target, entry] of [...this.pending]) {
      const outcome = await entry.failed.hook(entry.failed.context);
      // A publish may have settled this target meanwhile (serial() keeps them apart, but be sure).
      if (this.pending.get(target) !== entry) continue;
      if (outcome.isOk()) {
        this.pending.delete(target);
        this.recoveredEvent({ ...entry, attempts: entry.attempts + 1 });
      } else {
        entry.attempts++;
        entry.failed = { ...entry.failed, error: outcome.error };
        this.failedEvent(entry);
      }
    }
    this.changed();
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      if (this.pending.size === 0) {
        await new Promise<void>((resolve) => {
          this.wakeLoop = resolve;
        });
        continue;
      }
      const attempts = Math.max(...[...this.pending.values()].map((p) => p.attempts));
      const sleep = interruptibleSleep(
        backoffDelay(this.options.retry, attempts, this.options.random),
        signal,
      );
      this.wakeSleep = sleep.wake;
      await sleep.done;
      this.wakeSleep = () => undefined;
      if (signal.aborted) return;
      await this.options.serial(() => this.runPending());
    }
  }
}
