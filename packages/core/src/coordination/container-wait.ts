// A target's container that does not exist yet (the node came up before its data container) is
// not a failure but a wait: polled with a short, bounded backoff and never given up.
import type { BackoffPolicy } from './backoff';
import type { WatchSyncError } from './watch-types';

/** The longest wait between two looks for a container that does not exist yet. */
export const WAIT_MAX_MS = 2_000;

/** The container a sync found missing (a target's data container not created yet), if that is the error. */
export function missingContainer(error: WatchSyncError): string | undefined {
  return error.kind === 'NotFound' && error.resource === 'container' ? error.ref : undefined;
}

/** The backoff to poll with while `error` is a missing container; undefined for any other error. */
export function containerWait(
  error: WatchSyncError,
  retry: BackoffPolicy,
): BackoffPolicy | undefined {
  if (missingContainer(error) === undefined) return undefined;
  return {
    initialMs: Math.min(retry.initialMs, WAIT_MAX_MS),
    maxMs: Math.min(retry.maxMs, WAIT_MAX_MS),
  };
}
