import type { ResultAsync } from 'neverthrow';
import {
  berthError,
  describeCause,
  type AbortedError,
  type EtcdError,
  type EtcdUnreachableError,
} from '../errors';
import { bounded } from '../util/bounded';
import { etcd3 } from '../util/dependencies';
import type { EtcdConnection } from './etcd';

/** Everything one etcd call can fail with. */
export type EtcdFailure = EtcdUnreachableError | EtcdError | AbortedError;

/** How long one etcd call may take unless told otherwise. */
export const DEFAULT_ETCD_CALL_MS = 5_000;

/** A bound on one etcd call, and the caller's signal. */
export interface EtcdCallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * True when the failure says "no member answered" rather than "a member said no": the connection
 * was refused or dropped, the call timed out, or etcd3's circuit breaker is open for every host.
 * Classified by etcd3's own error classes, never by message text here. etcd3 types what its calls
 * reject with, but passes a watch stream's error on as gRPC raised it (a plain Error with the
 * numeric status, e.g. `14 UNAVAILABLE: Connection dropped` when the members go away): such an
 * error is typed first with etcd3's own castGrpcError, which reads that status.
 */
function isUnreachable(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  if ((raw as { isBrokenCircuitError?: unknown }).isBrokenCircuitError === true) return true;
  const {
    castGrpcError,
    isRecoverableError,
    GRPCUnavailableError,
    GRPCDeadlineExceededError,
    GRPCCancelledError,
    EtcdWatchStreamEnded,
    ClientClosedError,
  } = etcd3();
  const cause = raw instanceof Error ? castGrpcError(raw) : raw;
  return (
    isRecoverableError(cause as Error) ||
    cause instanceof GRPCUnavailableError ||
    cause instanceof GRPCDeadlineExceededError ||
    cause instanceof GRPCCancelledError ||
    cause instanceof EtcdWatchStreamEnded ||
    cause instanceof ClientClosedError
  );
}

/** One etcd3 rejection as a berth error: `EtcdUnreachable` or `Etcd`. */
export function toEtcdFailure(
  connection: EtcdConnection,
  operation: string,
  cause: unknown,
): EtcdUnreachableError | EtcdError {
  if (isUnreachable(cause)) {
    return berthError.etcdUnreachable({
      endpoints: connection.endpoints,
      message: `etcd ${operation}: no member answered at ${connection.endpoints.join(', ')}: ${describeCause(cause)}`,
      cause,
    });
  }
  return berthError.etcd({
    operation,
    message: `etcd ${operation}: ${describeCause(cause)}`,
    cause,
  });
}

/**
 * Runs one etcd3 call with a deadline (passed to gRPC too, so a stuck call is torn down) and the
 * caller's signal; the only place a coordination module turns an etcd3 promise into a Result.
 */
export function etcdCall<T>(
  connection: EtcdConnection,
  operation: string,
  options: EtcdCallOptions,
  run: (deadline: Date, signal: AbortSignal) => Promise<T>,
): ResultAsync<T, EtcdFailure> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ETCD_CALL_MS;
  return bounded(
    { operation: `etcd ${operation}`, timeoutMs, signal: options.signal },
    (signal) => run(new Date(Date.now() + timeoutMs), signal),
    (cause) => toEtcdFailure(connection, operation, cause),
  ).mapErr((error): EtcdFailure => {
    // A deadline that ran out is "no member answered in time" to a caller that retries.
    if (error.kind === 'Timeout') {
      return berthError.etcdUnreachable({
        endpoints: connection.endpoints,
        message: `etcd ${operation}: no member answered within ${timeoutMs} ms`,
        cause: error,
      });
    }
    return error;
  });
}
