import { berthError, type AbortedError, type TimeoutError } from '../errors';

/** One signal for "stop now": the caller's AbortSignal or the pull's own deadline. */
export interface PullDeadline {
  readonly signal: AbortSignal;
  /** Why it fired, as the error to report; `subject` names what stopped, e.g. `pull nginx:1`. */
  reason(operation: string, subject: string): AbortedError | TimeoutError;
  /** Clears the timer and lets go of the caller's signal. */
  dispose(): void;
}

/** Folds the caller's signal and an optional deadline into one signal. */
export function pullDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): PullDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined || controller.signal.aborted
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs);
  return {
    signal: controller.signal,
    reason: (operation, subject) =>
      timedOut && timeoutMs !== undefined
        ? berthError.timeout({
            operation,
            timeoutMs,
            message: `${subject} did not finish within ${timeoutMs} ms`,
          })
        : berthError.aborted({
            operation,
            message: `${subject} was aborted`,
            ...(signal?.reason !== undefined && { cause: signal.reason }),
          }),
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
