// watchAndPull's options, checked once and filled with defaults.
import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';
import type { BackoffPolicy } from './backoff';
import type { RetryPolicy } from './coalescing-sync';
import { normalizeKey } from './etcd-key';
import { checkNodeId, checkStatusPrefix, defaultStatusPrefix } from './node-status';
import type { WatchAndPullOptions, WatchTarget } from './watch-types';
import { DEFAULT_SHARED_FETCH, type SharedFetchSettings } from './carried-sync';

export interface CheckedWatchOptions {
  /** The watched key, normalised (`normalizeKey`). */
  readonly key: string;
  readonly statusPrefix: string;
  readonly statusTtlSeconds: number;
  readonly retry: RetryPolicy;
  /** Between reads and watches while etcd does not answer. */
  readonly reconnect: BackoffPolicy;
  readonly debounce: { readonly minMs: number; readonly maxMs: number } | undefined;
  readonly jitterMs: number;
  /** The elected fetch's settings, or undefined when it is off. */
  readonly sharedFetch: SharedFetchSettings | undefined;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 200, maxMs: 30_000, maxFailures: Infinity };
export const RECONNECT: BackoffPolicy = { initialMs: 100, maxMs: 2_000 };
export const DEFAULT_STATUS_TTL_SECONDS = 10;

const invalid = (field: string, message: string) =>
  err(berthError.invalidInput({ field, message }));

const nonNegative = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

export function checkWatchOptions(
  options: WatchAndPullOptions,
): Result<CheckedWatchOptions, InvalidInputError> {
  if (typeof options !== 'object' || options === null) {
    return invalid('options', 'options must be an object');
  }
  const { key, targets, retry = {}, debounce, jitterMs = 0 } = options;
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return err(normalized.error);
  const nodeId = checkNodeId(options.nodeId);
  if (nodeId.isErr()) return err(nodeId.error);
  const prefix = checkStatusPrefix(
    normalized.value,
    options.statusPrefix ?? defaultStatusPrefix(normalized.value),
  );
  if (prefix.isErr()) return err(prefix.error);
  if (!Array.isArray(targets) || targets.length === 0) {
    return invalid('targets', 'give at least one target');
  }
  for (const [i, t] of (targets as readonly (WatchTarget | undefined)[]).entries()) {
    if (typeof t?.target?.stage !== 'function') {
      return invalid(
        `targets[${i}].target`,
        'each target needs a ContentTarget (directoryTarget, containerTarget)',
      );
    }
  }
  if (typeof options.source?.resolve !== 'function') {
    return invalid('source', 'source must be a git source (openGitSource) or a CommitSource');
  }
  const ttl = options.statusTtlSeconds ?? DEFAULT_STATUS_TTL_SECONDS;
  if (!nonNegative(ttl) || ttl < 1)
    return invalid('statusTtlSeconds', 'statusTtlSeconds must be at least 1');
  const initialMs = retry.initialMs ?? DEFAULT_RETRY.initialMs;
  const maxMs = retry.maxMs ?? Math.max(DEFAULT_RETRY.maxMs, initialMs);
  const maxFailures = retry.maxFailures ?? DEFAULT_RETRY.maxFailures;
  if (!nonNegative(initialMs) || initialMs === 0 || !nonNegative(maxMs) || maxMs < initialMs) {
    return invalid('retry', 'retry needs 0 < initialMs <= maxMs');
  }
  if (!(maxFailures === Infinity || (Number.isInteger(maxFailures) && maxFailures >= 1))) {
    return invalid('retry.maxFailures', 'retry.maxFailures must be a positive integer or Infinity');
  }
  if (
    debounce &&
    (!nonNegative(debounce.minMs) ||
      !nonNegative(debounce.maxMs) ||
      debounce.maxMs < debounce.minMs)
  ) {
    return invalid('debounce', 'debounce needs 0 <= minMs <= maxMs');
  }
  if (!nonNegative(jitterMs)) return invalid('jitterMs', 'jitterMs must be a number >= 0');
  const sharedFetch = checkSharedFetch(options.sharedFetch);
  if (sharedFetch.isErr()) return err(sharedFetch.error);
  return ok({
    sharedFetch: sharedFetch.value,
    key: normalized.value,
    statusPrefix: prefix.value,
    statusTtlSeconds: ttl,
    retry: { initialMs, maxMs, maxFailures },
    reconnect: RECONNECT,
    debounce,
    jitterMs,
  });
}

function checkSharedFetch(
  given: WatchAndPullOptions['sharedFetch'],
): Result<SharedFetchSettings | undefined, InvalidInputError> {
  if (given === undefined || given === false) return ok(undefined);
  if (given === true) return ok(DEFAULT_SHARED_FETCH);
  if (typeof given !== 'object' || given === null)
    return invalid('sharedFetch', 'sharedFetch must be true, false or an object');
  const settings = { ...DEFAULT_SHARED_FETCH, ...given };
  if (!nonNegative(settings.waitMs))
    return invalid('sharedFetch.waitMs', 'sharedFetch.waitMs must be a number >= 0');
  if (!Number.isInteger(settings.lockTtlSeconds) || settings.lockTtlSeconds < 2)
    return invalid(
      'sharedFetch.lockTtlSeconds',
      'sharedFetch.lockTtlSeconds must be a whole number >= 2',
    );
  if (
    !Number.isInteger(settings.maxBytes) ||
    settings.maxBytes < 1024 ||
    settings.maxBytes > 1_400_000
  )
    return invalid(
      'sharedFetch.maxBytes',
      'sharedFetch.maxBytes must be a whole number from 1024 to 1400000',
    );
  if (!Number.isInteger(settings.ttlSeconds) || settings.ttlSeconds < 1)
    return invalid('sharedFetch.ttlSeconds', 'sharedFetch.ttlSeconds must be a whole number >= 1');
  return ok(settings);
}
