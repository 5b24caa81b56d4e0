import { ResultAsync } from 'neverthrow';
import { berthError, describeCause, type DockerApiError } from '../errors';

/** What dockerode attaches to a failed request. */
interface DockerodeFailure {
  statusCode?: number;
  json?: { message?: unknown } | null;
  reason?: string;
  message?: string;
}

/** The HTTP status the engine answered with, if it answered. */
export function statusOf(cause: unknown): number | undefined {
  const status = (cause as DockerodeFailure | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message from its JSON body, else the transport's. */
export function daemonMessage(cause: unknown): string {
  const failure = cause as DockerodeFailure | null;
  const fromJson = failure?.json?.message;
  if (typeof fromJson === 'string' && fromJson.trim()) return fromJson.trim();
  return describeCause(cause);
}

/** One failed engine call as a `DockerApi` error, classified by status code (never by text). */
export function toDockerApiError(operation: string, cause: unknown): DockerApiError {
  const statusCode = statusOf(cause);
  const message = `${operation}: ${daemonMessage(cause)}`;
  return statusCode === undefined
    ? berthError.dockerApi({ operation, message, cause })
    : berthError.dockerApi({ operation, statusCode, message, cause });
}

/** The one place a dockerode promise becomes a Result. */
export function dockerCall<T>(
  operation: string,
  call: () => Promise<T>,
): ResultAsync<T, DockerApiError> {
  return ResultAsync.fromPromise((async () => call())(), (cause) =>
    toDockerApiError(operation, cause),
  );
}
