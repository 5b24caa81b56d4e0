import fc from 'fast-check';
import { ResultAsync, err, ok, type Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';
import {
  CoalescingSync,
  type CoalescingSyncOptions,
  type SyncLoopEvent,
  type Wanted,
} from './coalescing-sync';

/** Waits (bounded) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
}

interface Call {
  readonly revision: number;
  finish(outcome: Result<string, string>): void;
}

/** A sync loop whose runs the test finishes by hand, recording what ran and how many at once. */
function harness(
  retry = { initialMs: 1, maxMs: 4, maxFailures: Infinity },
  timing: Pick<CoalescingSyncOptions<string, string, string>, 'debounce' | 'jitterMs'> = {},
) {
  const calls: Call[] = [];
  const events: SyncLoopEvent<string, string, string>[] = [];
  let running = 0;
  let maxRunning = 0;
  const sync = new CoalescingSync<string, string, string>({
    run: (wanted) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new ResultAsync(
        new Promise<Result<string, string>>((resolve) => {
          calls.push({
            revision: wanted.revision,
            finish: (outcome) => {
              running--;
              resolve(outcome);
            },
          });
        }),
      );
    },
    retry,
    ...timing,
    stopped: () => 'stopped',
    onEvent: (e) => events.push(e),
    random: () => 1,
  });
  const want = (revision: number): Wanted<string> => ({
    revision,
    value: `v${revision}`,
    receivedAt: 0,
  });
  /** Waits until the loop has started `n` runs in all. */
  const started = async (n: number) => {
    for (let i = 0; i < 500 && calls.length < n; i++) await new Promise((r) => setTimeout(r, 2));
    expect(calls.length).toBe(n);
    return calls[n - 1] as Call;
  };
  return { sync, calls, events, want, started, maxRunning: () => maxRunning };
}

describe('CoalescingSync', () => {
  it('runs the first value, then only the last of a burst that came meanwhile', async () => {
    const h = harness();
    const first = h.sync.offer(h.want(1));
    const call = await h.started(1);
    const burst = [2, 3, 4, 5].map((r) => h.sync.offer(h.want(r)));
    call.finish(ok('applied 1'));
    expect(await first).toEqual(ok('applied 1'));
    const last = await h.started(2);
    expect(last.revision).toBe(5);
    last.finish(ok('applied 5'));
    // Every offer of the burst is answered by the run that covered it.
    expect(await Promise.all(burst)).toEqual([2, 3, 4, 5].map(() => ok('applied 5')));
    expect(h.events.filter((e) => e.type === 'superseded').map((e) => e.wanted.revision)).toEqual([
      2, 3, 4,
    ]);
    expect(h.sync.lastApplied?.wanted.revision).toBe(5);
    await h.sync.stop();
  });

  it('ignores a revision it has already applied, unless forced', async () => {
    const h = harness();
    const first = h.sync.offer(h.want(7));
    (await h.started(1)).finish(ok('seven'));
    expect(await first).toEqual(ok('seven'));
    expect(await h.sync.offer(h.want(6))).toEqual(ok('seven'));
    expect(await h.sync.offer(h.want(7))).toEqual(ok('seven'));
    expect(h.calls).toHaveLength(1);
    const forced = h.sync.offer(h.want(7), true);
    (await h.started(2)).finish(ok('seven again'));
    expect(await forced).toEqual(ok('seven again'));
    await h.sync.stop();
  });

  it('retries a failed run with a capped exponential backoff, then succeeds', async () => {
    const h = harness({ initialMs: 1, maxMs: 4, maxFailures: Infinity });
    const offered = h.sync.offer(h.want(1));
    for (let i = 1; i <= 4; i++) (await h.started(i)).finish(err(`failure ${i}`));
    (await h.started(5)).finish(ok('finally'));
    await until(() => h.sync.lastApplied !== undefined);
    // The offer is answered by its first attempt; the retries go on behind it.
    expect(await offered).toEqual(err('failure 1'));
    const delays = h.events.flatMap((e) => (e.type === 'retrying' ? [e.delayMs] : []));
    expect(delays).toEqual([1, 2, 4, 4]);
    const attempts = h.events.flatMap((e) => (e.type === 'failed' ? [e.attempt] : []));
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(h.sync.lastApplied?.result).toBe('finally');
    expect(h.sync.consecutiveFailures).toBe(0);
    await h.sync.stop();
  });

  it('retries the newest value when a newer one arrived during a failing run', async () => {
    const h = harness();
    void h.sync.offer(h.want(1));
    const call = await h.started(1);
    void h.sync.offer(h.want(2));
    call.finish(err('broken'));
    const next = await h.started(2);
    expect(next.revision).toBe(2);
    next.finish(ok('two'));
    await h.sync.stop();
  });

  it('gives a revision up after maxFailures and takes the next one', async () => {
    const h = harness({ initialMs: 1, maxMs: 1, maxFailures: 2 });
    void h.sync.offer(h.want(1));
    (await h.started(1)).finish(err('a'));
    (await h.started(2)).finish(err('b'));
    await until(() => h.events.some((e) => e.type === 'failed' && e.final));
    expect(h.calls).toHaveLength(2);
    expect(
      h.events.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.final),
    ).toEqual([false, true]);
    expect(await h.sync.offer(h.want(1))).toEqual(err('b'));
    void h.sync.offer(h.want(2));
    (await h.started(3)).finish(ok('two'));
    await h.sync.stop();
  });

  it('debounces: waits for a quiet spell, then runs the last value once', async () => {
    const h = harness(undefined, { debounce: { minMs: 60, maxMs: 1_000 } });
    const started = performance.now();
    for (const r of [1, 2, 3]) {
      void h.sync.offer(h.want(r));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const call = await h.started(1);
    // The last offer came at about 40 ms; the run waited 60 ms of quiet after it.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(call.revision).toBe(3);
    call.finish(ok('three'));
    await h.sync.stop();
  });

  it('debounces at most maxMs after the first value, however often values come', async () => {
    const h = harness(undefined, { debounce: { minMs: 50, maxMs: 120 } });
    const started = performance.now();
    let revision = 0;
    const offering = setInterval(() => void h.sync.offer(h.want(++revision)), 10);
    try {
      await h.started(1);
    } finally {
      clearInterval(offering);
    }
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(120);
    expect(waited).toBeLessThan(1_000);
    const stopping = h.sync.stop();
    for (const call of h.calls) call.finish(ok('x'));
    await stopping;
  });

  it('waits a random jitter of up to jitterMs before a run', async () => {
    const h = harness(undefined, { jitterMs: 80 }); // random() is 1 here: the whole 80 ms
    const started = performance.now();
    void h.sync.offer(h.want(1));
    (await h.started(1)).finish(ok('one'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(79);
    await h.sync.stop();
  });

  it('stops only after the run in flight, which it never interrupts', async () => {
    const h = harness();
    void h.sync.offer(h.want(1));
    const call = await h.started(1);
    const waiting = h.sync.offer(h.want(2));
    let stopped = false;
    const stopping = h.sync.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    call.finish(ok('one'));
    await stopping;
    expect(await waiting).toEqual(err('stopped'));
    expect(h.calls).toHaveLength(1);
    expect(await h.sync.offer(h.want(3))).toEqual(err('stopped'));
  });

  it('never runs two at once, and always ends on the newest value offered', async () => {
    const step = fc.oneof(
      fc.constant<'offer'>('offer'),
      fc.constant<'ok'>('ok'),
      fc.constant<'fail'>('fail'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const h = harness({ initialMs: 1, maxMs: 1, maxFailures: Infinity });
        let revision = 0;
        let finished = 0;
        for (const s of steps) {
          if (s === 'offer') void h.sync.offer(h.want(++revision));
          else if (h.calls.length > finished)
            (h.calls[finished++] as Call).finish(s === 'ok' ? ok('x') : err('y'));
          await new Promise((r) => setTimeout(r, 1));
        }
        // Drain: succeed everything that runs until the newest value is applied.
        for (
          let i = 0;
          i < 200 && revision > 0 && h.sync.lastApplied?.wanted.revision !== revision;
          i++
        ) {
          if (h.calls.length > finished) (h.calls[finished++] as Call).finish(ok('x'));
          await new Promise((r) => setTimeout(r, 2));
        }
        expect(h.maxRunning()).toBeLessThanOrEqual(1);
        if (revision > 0) expect(h.sync.lastApplied?.wanted.revision).toBe(revision);
        const stopping = h.sync.stop();
        for (const call of h.calls.slice(finished)) call.finish(ok('x'));
        await stopping;
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe('backoffDelay', () => {
  it('doubles from initialMs, caps at maxMs, and keeps between half and all of it', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(policy, n, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 5].map((n) => backoffDelay(policy, n, () => 0))).toEqual([50, 100, 500]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, r) => {
          const d = backoffDelay(policy, n, () => r);
          expect(d).toBeGreaterThanOrEqual(50);
          expect(d).toBeLessThanOrEqual(1000);
        },
      ),
    );
  });
});
