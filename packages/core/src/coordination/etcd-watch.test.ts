// The etcd3 behaviours the watcher is built around, checked against the real etcd.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster } from '../../../../test/support/etcd-cluster';
import { connectEtcd, type EtcdConnection } from './etcd';
import { compactHistory, deleteKey, getKey, putKey } from './etcd-kv';
import { grantLease } from './etcd-lease';
import { openWatchSession, type KeyChange, type WatchEnd } from './etcd-watch';

// A private etcd: compaction here must not touch the shared one other tests use.
const private_ = useEtcdCluster(1);
let etcd: EtcdConnection;
const testKey = () => `berth-test/watch/${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: private_.cluster.endpoints }))._unsafeUnwrap();
});
afterAll(() => etcd?.close());

/** Opens a session and collects what it reports. */
function record(key: string, from: number) {
  const changes: KeyChange[] = [];
  let created = false;
  let ended: { reason: WatchEnd; cause: unknown } | undefined;
  const session = openWatchSession(etcd, { key }, from, {
    onCreated: () => (created = true),
    onChange: (c) => changes.push(c),
    onEnd: (reason, cause) => (ended = { reason, cause }),
  });
  return { session, changes, created: () => created, ended: () => ended };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('etcd keys and watch sessions', () => {
  it('reads a key with the revision that wrote it and the store revision', async () => {
    const key = testKey();
    expect((await getKey(etcd, key))._unsafeUnwrap().kv).toBeUndefined();
    const written = (await putKey(etcd, key, 'one'))._unsafeUnwrap();
    const read = (await getKey(etcd, key))._unsafeUnwrap();
    expect(read.kv).toMatchObject({ key, modRevision: written });
    expect(read.kv?.value.toString()).toBe('one');
    expect(read.revision).toBeGreaterThanOrEqual(written);
    (await deleteKey(etcd, key))._unsafeUnwrap();
  });

  it('replays every change from an exact, inclusive start revision, in order', async () => {
    const key = testKey();
    const revisions: number[] = [];
    for (const v of ['a', 'b', 'c']) revisions.push((await putKey(etcd, key, v))._unsafeUnwrap());
    const deleted = (await deleteKey(etcd, key))._unsafeUnwrap();
    const w = record(key, revisions[1] ?? 0);
    await until(() => w.changes.length === 3);
    expect(w.changes.map((c) => [c.type, c.value.toString(), c.modRevision])).toEqual([
      ['put', 'b', revisions[1]],
      ['put', 'c', revisions[2]],
      ['delete', '', deleted],
    ]);
    expect(w.created()).toBe(true);
    await w.session.close();
  });

  it('ends with `cancelled` (not an unhandled error) when the start revision was compacted', async () => {
    const key = testKey();
    const first = (await putKey(etcd, key, 'old'))._unsafeUnwrap();
    const latest = (await putKey(etcd, key, 'new'))._unsafeUnwrap();
    (await compactHistory(etcd, latest))._unsafeUnwrap();
    const w = record(key, first);
    await until(() => w.ended() !== undefined);
    expect(w.ended()?.reason).toBe('cancelled');
    expect(w.changes).toEqual([]);
    await w.session.close();
  });

  it('closes a session within its bound, and reports nothing after', async () => {
    const key = testKey();
    const w = record(key, (await getKey(etcd, key))._unsafeUnwrap().revision + 1);
    await until(() => w.created());
    const started = Date.now();
    await w.session.close();
    expect(Date.now() - started).toBeLessThan(2_500);
    (await putKey(etcd, key, 'after'))._unsafeUnwrap();
    await new Promise((r) => setTimeout(r, 100));
    expect(w.changes).toEqual([]);
    expect(w.ended()).toBeUndefined();
    (await deleteKey(etcd, key))._unsafeUnwrap();
  });

  it('keeps a key on a lease alive and drops it when the lease is revoked', async () => {
    const key = testKey();
    const lease = (await grantLease(etcd, 5))._unsafeUnwrap();
    (await putKey(etcd, key, 'alive', { lease: lease.id }))._unsafeUnwrap();
    expect((await lease.keepAlive())._unsafeUnwrap()).toBe('alive');
    expect((await getKey(etcd, key))._unsafeUnwrap().kv?.value.toString()).toBe('alive');
    (await lease.revoke())._unsafeUnwrap();
    expect((await getKey(etcd, key))._unsafeUnwrap().kv).toBeUndefined();
    expect((await lease.keepAlive())._unsafeUnwrap()).toBe('expired');
    (await lease.revoke())._unsafeUnwrap();
  });
});
