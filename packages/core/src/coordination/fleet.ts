// Reading the fleet from etcd: every live node's status and what the key asks for, for status
// pages and scripts (waitForConvergence polls the same keys).
import { errAsync, type ResultAsync } from 'neverthrow';
import type { InvalidInputError } from '../errors';
import { parseAnnouncement, type Announcement } from './announcement';
import type { EtcdConnection } from './etcd';
import type { EtcdCallOptions, EtcdFailure } from './etcd-failure';
import { normalizeKey } from './etcd-key';
import { getKey, getPrefix } from './etcd-kv';
import {
  checkStatusPrefix,
  decodeStatus,
  defaultStatusPrefix,
  type NodeStatus,
} from './node-status';

/**
 * The status of every live node watching `key` (a node whose lease ran out is gone), sorted by
 * node id. Keys under the prefix that are not node statuses are passed over.
 */
export function listNodeStatuses(
  etcd: EtcdConnection,
  key: string,
  options: EtcdCallOptions & { readonly statusPrefix?: string } = {},
): ResultAsync<NodeStatus[], EtcdFailure | InvalidInputError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync(normalized.error);
  const prefix = checkStatusPrefix(
    normalized.value,
    options.statusPrefix ?? defaultStatusPrefix(normalized.value),
  );
  if (prefix.isErr()) return errAsync(prefix.error);
  return getPrefix(etcd, prefix.value, options).map((read) =>
    read.kvs
      .flatMap((kv) => decodeStatus(kv.value) ?? [])
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId)),
  );
}

/** What the key asks for now: undefined when it is absent or its value is not an announcement. */
export function readAnnouncement(
  etcd: EtcdConnection,
  key: string,
  options: EtcdCallOptions = {},
): ResultAsync<Announcement | undefined, EtcdFailure | InvalidInputError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync(normalized.error);
  return getKey(etcd, normalized.value, options).map((read) => {
    if (!read.kv) return undefined;
    const parsed = parseAnnouncement(read.kv.value);
    return parsed.isOk() ? parsed.value : undefined;
  });
}
