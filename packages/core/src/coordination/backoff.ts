/** Capped exponential backoff: `initialMs`, doubling per failure, never above `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The wait before retry number `failures` (1 after the first failure): the capped exponential
 * delay, of which a random half is kept ("equal jitter"), so a fleet that failed together does
 * not retry together, and the wait still grows with every failure.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  const capped = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(capped / 2 + (capped / 2) * random());
}

/**
 * Resolves after `ms`, or as soon as `wake` is called or `signal` aborts (then with `false`).
 * Never rejects.
 */
export function interruptibleSleep(
  ms: number,
  signal?: AbortSignal,
): { readonly done: Promise<boolean>; readonly wake: () => void } {
  let wake: () => void = () => undefined;
  const done = new Promise<boolean>((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const finish = (slept: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
    wake = () => finish(false);
  });
  return { done, wake: () => wake() };
}
