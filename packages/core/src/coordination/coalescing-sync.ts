// One publish in flight, one pending slot holding the newest wanted value, retries with capped
// exponential backoff and jitter. Knows nothing of etcd or git: `run` does the work.
import type { Result, ResultAsync } from 'neverthrow';
import { err, ok } from 'neverthrow';
import { backoffDelay, interruptibleSleep, type BackoffPolicy } from './backoff';

/** A value to sync, stamped with the etcd revision that wrote it. */
export interface Wanted<V> {
  readonly revision: number;
  readonly value: V;
  /** When it arrived (epoch ms, fractional), for latency reports. */
  readonly receivedAt: number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Consecutive failed attempts of one revision after which it is given up (until a newer one, or `syncNow`). */
  readonly maxFailures: number;
}

export type SyncLoopEvent<V, R, E> =
  | { readonly type: 'started'; readonly wanted: Wanted<V>; readonly attempt: number }
  | { readonly type: 'succeeded'; readonly wanted: Wanted<V>; readonly result: R }
  | {
      readonly type: 'failed';
      readonly wanted: Wanted<V>;
      readonly error: E;
      readonly attempt: number;
      /** true when `maxFailures` was reached and the revision is given up. */
      readonly final: boolean;
    }
  | {
      readonly type: 'retrying';
      readonly wanted: Wanted<V>;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly type: 'superseded'; readonly wanted: Wanted<V>; readonly by: Wanted<V> };

export interface CoalescingSyncOptions<V, R, E> {
  /** Does the work. It is never interrupted; `signal` fires on stop, for the part that may be cut short. */
  run(
    wanted: Wanted<V>,
    context: { readonly signal: AbortSignal; readonly attempt: number },
  ): ResultAsync<R, E>;
  readonly retry: RetryPolicy;
  /** Wait for `minMs` of quiet after a new value, but never more than `maxMs` after the first. */
  readonly debounce?: { readonly minMs: number; readonly maxMs: number } | undefined;
  /** A random wait of up to this many ms before each attempt, so a fleet does not move in lockstep. */
  readonly jitterMs?: number | undefined;
  /** The error a waiter gets when the loop stops before its value was attempted. */
  stopped(): E;
  /**
   * For an error that means "not yet" rather than "failed" (say, a container that does not exist
   * yet): the backoff to poll with instead of `retry`, and the value is never given up for it.
   */
  waitingFor?(error: E): BackoffPolicy | undefined;
  onEvent(event: SyncLoopEvent<V, R, E>): void;
  readonly random?: () => number;
}

type Waiter<R, E> = (outcome: Result<R, E>) => void;

interface Slot<V, R, E> {
  readonly wanted: Wanted<V>;
  waiters: Waiter<R, E>[];
}

/**
 * Feeds wanted values to `run` one at a time. A value offered while another runs waits in the
 * single pending slot, replacing (superseding) an older one there, so a burst ends with exactly
 * its last value run. A failed run is retried, newest value first, after a backoff; the loop
 * itself never ends until `stop()`.
 */
export class CoalescingSync<V, R, E> {
  private pending: Slot<V, R, E> | undefined;
  private inFlight: Slot<V, R, E> | undefined;
  private applied: { readonly wanted: Wanted<V>; readonly result: R } | undefined;
  private givenUp: { readonly revision: number; readonly error: E } | undefined;
  private failures = 0;
  /** Failed attempts of one revision in a row. */
  private failuresOf = { revision: 0, count: 0 };
  private lastOfferAt = 0;
  private pendingSince = 0;
  private readonly stopController = new AbortController();
  private wakeLoop: () => void = () => undefined;
  private wakeRetry: () => void = () => undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly options: CoalescingSyncOptions<V, R, E>) {
    this.loop = this.run();
  }

  /** The last value whose run succeeded, and what it returned. */
  get lastApplied(): { readonly wanted: Wanted<V>; readonly result: R } | undefined {
    return this.applied;
  }

  /** true while a value waits or runs. */
  get busy(): boolean {
    return this.pending !== undefined || this.inFlight !== undefined;
  }

  /** Consecutive failed attempts since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Offers a value. Resolves with the outcome of the first attempt that covers it (its own or a
   * newer value's). A revision not newer than one already applied, running or pending is
   * ignored unless `force` (then it runs again: a ref may have moved).
   */
  offer(wanted: Wanted<V>, force = false): Promise<Result<R, E>> {
    return new Promise((resolve) => {
      if (this.stopController.signal.aborted) {
        resolve(err(this.options.stopped()));
        return;
      }
      const newest = Math.max(
        this.applied?.wanted.revision ?? 0,
        this.inFlight?.wanted.revision ?? 0,
        this.pending?.wanted.revision ?? 0,
        this.givenUp?.revision ?? 0,
      );
      if (!force && wanted.revision <= newest) {
        if (this.pending) this.pending.waiters.push(resolve);
        else if (this.inFlight) this.inFlight.waiters.push(resolve);
        else if (this.applied && this.applied.wanted.revision >= (this.givenUp?.revision ?? 0))
          resolve(ok(this.applied.result));
        else resolve(err(this.givenUp?.error ?? this.options.stopped()));
        return;
      }
      const waiters: Waiter<R, E>[] = [resolve];
      if (this.pending) {
        if (this.pending.wanted.revision > wanted.revision) {
          this.pending.waiters.push(resolve);
          return;
        }
        if (this.pending.wanted.revision < wanted.revision) {
          this.options.onEvent({ type: 'superseded', wanted: this.pending.wanted, by: wanted });
        }
        waiters.push(...this.pending.waiters);
      } else {
        this.pendingSince = performance.now();
      }
      this.lastOfferAt = performance.now();
      this.pending = { wanted, waiters };
      this.wakeLoop();
    });
  }

  /** Cuts a backoff wait short: the pending value is attempted now. */
  retryNow(): void {
    this.wakeRetry();
  }

  /** Stops taking values, waits for the run in flight (never interrupted), then settles. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.wakeLoop();
    this.wakeRetry();
    await this.loop;
    const left = [...(this.pending?.waiters ?? [])];
    this.pending = undefined;
    for (const waiter of left) waiter(err(this.options.stopped()));
  }

  private attemptsOf(revision: number): number {
    return this.failuresOf.revision === revision ? this.failuresOf.count : 0;
  }

  private sleep(ms: number): Promise<boolean> {
    const sleep = interruptibleSleep(ms, this.stopController.signal);
    return sleep.done;
  }

  private async nextValue(): Promise<void> {
    while (!this.pending && !this.stopController.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.wakeLoop = resolve;
      });
    }
  }

  private async debounce(): Promise<void> {
    const debounce = this.options.debounce;
    if (!debounce || debounce.minMs <= 0) return;
    while (!this.stopController.signal.aborted) {
      const now = performance.now();
      const quiet = now - this.lastOfferAt;
      const waited = now - this.pendingSince;
      if (quiet >= debounce.minMs || waited >= debounce.maxMs) return;
      await this.sleep(Math.min(debounce.minMs - quiet, debounce.maxMs - waited));
    }
  }

  private async run(): Promise<void> {
    const { retry, jitterMs = 0, random = Math.random } = this.options;
    while (!this.stopController.signal.aborted) {
      await this.nextValue();
      await this.debounce();
      if (jitterMs > 0) await this.sleep(random() * jitterMs);
      const slot = this.pending;
      if (!slot || this.stopController.signal.aborted) continue;
      this.pending = undefined;
      this.inFlight = slot;
      const attempt = this.attemptsOf(slot.wanted.revision) + 1;
      this.options.onEvent({ type: 'started', wanted: slot.wanted, attempt });
      const outcome = await this.options.run(slot.wanted, {
        signal: this.stopController.signal,
        attempt,
      });
      this.inFlight = undefined;
      for (const waiter of slot.waiters) waiter(outcome);
      if (outcome.isOk()) {
        this.applied = { wanted: slot.wanted, result: outcome.value };
        this.failures = 0;
        this.failuresOf = { revision: 0, count: 0 };
        this.options.onEvent({ type: 'succeeded', wanted: slot.wanted, result: outcome.value });
        continue;
      }
      this.failures++;
      this.failuresOf = { revision: slot.wanted.revision, count: attempt };
      const waiting = this.options.waitingFor?.(outcome.error);
      const final = !this.pending && !waiting && attempt >= retry.maxFailures;
      this.options.onEvent({
        type: 'failed',
        wanted: slot.wanted,
        error: outcome.error,
        attempt,
        final,
      });
      if (final) {
        this.givenUp = { revision: slot.wanted.revision, error: outcome.error };
        continue;
      }
      // The newest value goes next (a newer one that arrived meanwhile, else this one again).
      this.pending ??= { wanted: slot.wanted, waiters: [] };
      const delayMs = backoffDelay(waiting ?? retry, this.failures, random);
      this.options.onEvent({
        type: 'retrying',
        wanted: this.pending.wanted,
        attempt: this.attemptsOf(this.pending.wanted.revision) + 1,
        delayMs,
      });
      const sleep = interruptibleSleep(delayMs, this.stopController.signal);
      this.wakeRetry = sleep.wake;
      await sleep.done;
      this.wakeRetry = () => undefined;
    }
  }
}
