// Read-only views for operators: the fleet as one snapshot (what the key asks for, what every
// live node serves), and what the key asked for before, from etcd's own history of the key.
import { etcd3 } from '../util/dependencies';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { InvalidInputError } from '../errors';
import { parseAnnouncement, type Announcement } from './announcement';
import { etcdClientOf, type EtcdConnection } from './etcd';
import { etcdCall, type EtcdCallOptions, type EtcdFailure } from './etcd-failure';
import { getKey, toRevision } from './etcd-kv';
import { normalizeKey } from './etcd-key';
import { listNodeStatuses } from './fleet';
import type { NodeStatus } from './node-status';

/** The fleet behind one key, read at one moment. */
export interface FleetStatus {
  readonly key: string;
  /** What the key asks for now; undefined when it is absent or not an announcement. */
  readonly announced: Announcement | undefined;
  /** The etcd revision that wrote the key's value (undefined when it is absent). */
  readonly announcedRevision: number | undefined;
  /** Every live node, sorted by node id. */
  readonly nodes: readonly NodeStatus[];
}

/**
 * What the key asks for and what every live node says about itself. Read-only: nothing is
 * written, no lease is taken.
 */
export function readFleetStatus(
  etcd: EtcdConnection,
  key: string,
  options: EtcdCallOptions & { readonly statusPrefix?: string } = {},
): ResultAsync<FleetStatus, EtcdFailure | InvalidInputError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync(normalized.error);
  const watched = normalized.value;
  // The key and the statuses are independent reads: asked at once.
  return ResultAsync.combine([
    getKey(etcd, watched, options),
    listNodeStatuses(etcd, watched, options),
  ] as const).map(([read, nodes]): FleetStatus => {
    const parsed = read.kv ? parseAnnouncement(read.kv.value) : undefined;
    return {
      key: watched,
      announced: parsed?.isOk() ? parsed.value : undefined,
      announcedRevision: read.kv?.modRevision,
      nodes,
    };
  });
}

/** One value the key held, newest first in {@link AnnouncementHistory}. */
export interface PastAnnouncement {
  /** The etcd revision that wrote it. */
  readonly revision: number;
  /** The value as an announcement; undefined for a value that is not one. */
  readonly announcement: Announcement | undefined;
}

export interface AnnouncementHistory {
  readonly key: string;
  /** The values the key held since it was last created, the current one first. */
  readonly entries: readonly PastAnnouncement[];
  /**
   * true when etcd had compacted older revisions away: there may have been more. etcd keeps
   * what its compaction policy leaves; `announceRevision` keeps no copy of its own.
   */
  readonly truncated: boolean;
}

const isCompacted = (failure: EtcdFailure): boolean =>
  failure.kind === 'Etcd' && failure.cause instanceof etcd3().GRPCOutOfRangeError;

/**
 * Up to `limit` (default 10) values the key held, newest first, from etcd's multi-version
 * history: each is read at the revision just before the one that wrote the next. Stops at the
 * key's (re)creation, at `limit`, or where etcd compacted the history (`truncated`).
 */
export function readAnnouncementHistory(
  etcd: EtcdConnection,
  key: string,
  options: EtcdCallOptions & { readonly limit?: number } = {},
): ResultAsync<AnnouncementHistory, EtcdFailure | InvalidInputError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync(normalized.error);
  const watched = normalized.value;
  const limit = options.limit ?? 10;
  const entries: PastAnnouncement[] = [];
  const readAt = (revision: number | undefined) =>
    etcdCall(etcd, `get ${watched}@${revision ?? 'now'}`, options, (deadline) => {
      const get = etcdClientOf(etcd).get(watched).options({ deadline });
      return (revision === undefined ? get : get.revision(revision)).exec();
    }).map((response) => response.kvs[0]);
  const step = (revision: number | undefined): ResultAsync<boolean, EtcdFailure> => {
    if (entries.length >= limit || (revision !== undefined && revision < 1)) return okAsync(false);
    return readAt(revision)
      .andThen((kv) => {
        if (!kv) return okAsync(false);
        const parsed = parseAnnouncement(kv.value);
        entries.push({
          revision: toRevision(kv.mod_revision),
          announcement: parsed.isOk() ? parsed.value : undefined,
        });
        // version 1 is the key's first value since it was (re)created: nothing older to read.
        if (toRevision(kv.version) <= 1) return okAsync(false);
        return step(toRevision(kv.mod_revision) - 1);
      })
      .orElse((failure) => (isCompacted(failure) ? okAsync(true) : errAsync(failure)));
  };
  return step(undefined).map((truncated) => ({ key: watched, entries, truncated }));
}
