// Typed reads and writes of etcd keys, with the revisions that make resuming a watch exact.
// etcd3 answers revisions as decimal strings; berth hands out numbers (exact below 2^53).
import type { ResultAsync } from 'neverthrow';
import { etcdClientOf, type EtcdConnection } from './etcd';
import { etcdCall, type EtcdCallOptions, type EtcdFailure } from './etcd-failure';

/** One key as stored, with the revision that last wrote it. */
export interface StoredValue {
  readonly key: string;
  readonly value: Buffer;
  readonly modRevision: number;
  /** The lease the key is attached to (`'0'` for none). */
  readonly lease: string;
}

/** A read: the key (absent when it does not exist) and the store's revision at the read. */
export interface KeyRead {
  readonly kv: StoredValue | undefined;
  /** Watching from `revision + 1` misses nothing written after this read. */
  readonly revision: number;
}

export interface PrefixRead {
  readonly kvs: readonly StoredValue[];
  readonly revision: number;
}

/** etcd's int64 revision as a number. */
export function toRevision(value: string | number | null | undefined): number {
  const revision = Number(value ?? 0);
  return Number.isSafeInteger(revision) && revision >= 0 ? revision : 0;
}

interface RawKeyValue {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
  lease: string;
}

function stored(kv: RawKeyValue): StoredValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    modRevision: toRevision(kv.mod_revision),
    lease: kv.lease,
  };
}

/** A linearizable read of one key. */
export function getKey(
  connection: EtcdConnection,
  key: string,
  options: EtcdCallOptions = {},
): ResultAsync<KeyRead, EtcdFailure> {
  return etcdCall(connection, `get ${key}`, options, (deadline) =>
    etcdClientOf(connection).get(key).options({ deadline }).exec(),
  ).map((response) => {
    const first = response.kvs[0];
    return {
      kv: first ? stored(first) : undefined,
      revision: toRevision(response.header.revision),
    };
  });
}

/** A linearizable read of every key under a prefix. */
export function getPrefix(
  connection: EtcdConnection,
  prefix: string,
  options: EtcdCallOptions = {},
): ResultAsync<PrefixRead, EtcdFailure> {
  return etcdCall(connection, `get ${prefix}*`, options, (deadline) =>
    etcdClientOf(connection).getAll().prefix(prefix).options({ deadline }).exec(),
  ).map((response) => ({
    kvs: response.kvs.map(stored),
    revision: toRevision(response.header.revision),
  }));
}

/** Writes a key (attached to `lease` when given) and answers the revision of the write. */
export function putKey(
  connection: EtcdConnection,
  key: string,
  value: string | Buffer,
  options: EtcdCallOptions & { readonly lease?: string } = {},
): ResultAsync<number, EtcdFailure> {
  return etcdCall(connection, `put ${key}`, options, (deadline) => {
    const put = etcdClientOf(connection).put(key).value(value).options({ deadline });
    return (options.lease !== undefined ? put.lease(options.lease) : put).exec();
  }).map((response) => toRevision(response.header.revision));
}

/** Deletes a key; answers the revision of the delete. */
export function deleteKey(
  connection: EtcdConnection,
  key: string,
  options: EtcdCallOptions = {},
): ResultAsync<number, EtcdFailure> {
  return etcdCall(connection, `delete ${key}`, options, (deadline) =>
    etcdClientOf(connection).delete().key(key).options({ deadline }).exec(),
  ).map((response) => toRevision(response.header.revision));
}

/** Discards the history before `revision` (etcd's compaction); watches from before it fail. */
export function compactHistory(
  connection: EtcdConnection,
  revision: number,
  options: EtcdCallOptions = {},
): ResultAsync<void, EtcdFailure> {
  return etcdCall(connection, `compact ${revision}`, options, (deadline) =>
    etcdClientOf(connection).kv.compact(
      { revision: String(revision), physical: true },
      {
        deadline,
      },
    ),
  ).map(() => undefined);
}

/** Deletes every key under a prefix; answers how many there were. */
export function deletePrefix(
  connection: EtcdConnection,
  prefix: string,
  options: EtcdCallOptions = {},
): ResultAsync<number, EtcdFailure> {
  return etcdCall(connection, `delete ${prefix}*`, options, (deadline) =>
    etcdClientOf(connection).delete().prefix(prefix).options({ deadline }).exec(),
  ).map((response) => toRevision(response.deleted));
}
