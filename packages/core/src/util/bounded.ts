import { ResultAsync, err, ok } from 'neverthrow';
import { berthError, type AbortedError, type TimeoutError } from '../errors';

export interface BoundOptions {
  readonly operation: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `run` with a deadline and the caller's AbortSignal folded into one signal, which `run`
 * passes on to the I/O it starts, so a stuck socket is torn down rather than left behind.
 * Settles with `Timeout` or `Aborted` as soon as either fires, whatever `run` is doing.
 */
export function bounded<T, E>(
  options: BoundOptions,
  run: (signal: AbortSignal) => Promise<T>,
  mapError: (cause: unknown) => E,
): ResultAsync<T, E | TimeoutError | AbortedError> {
  const { operation, timeoutMs, signal } = options;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;

  const stopped = new Promise<TimeoutError | AbortedError>((resolve) => {
    if (signal?.aborted) {
      resolve(berthError.aborted({ operation, message: `${operation} was aborted` }));
      return;
    }
    timer = setTimeout(() => {
      resolve(
        berthError.timeout({
          operation,
          timeoutMs,
          message: `${operation} did not finish within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    onAbort = () =>
      resolve(
        berthError.aborted({
          operation,
          message: `${operation} was aborted`,
          cause: signal?.reason,
        }),
      );
    signal?.addEventListener('abort', onAbort, { once: true });
  });

  type Outcome = { ok: true; value: T } | { ok: false; error: E | TimeoutError | AbortedError };
  const outcome: Promise<Outcome> = Promise.race([
    stopped.then((error): Outcome => ({ ok: false, error })),
    (signal?.aborted ? new Promise<never>(() => {}) : run(controller.signal)).then(
      (value): Outcome => ({ ok: true, value }),
      (cause: unknown): Outcome => ({ ok: false, error: mapError(cause) }),
    ),
  ]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    controller.abort();
  });

  return new ResultAsync(outcome.then((o) => (o.ok ? ok(o.value) : err(o.error))));
}
