// The operator's reads against the real etcd: the fleet in one snapshot, and what the key asked
// for before, from etcd's revision history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../../test/support/services';
import { forgetKeys, uniqueKey } from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { deleteKey, putKey } from './etcd-kv';
import { readAnnouncementHistory, readFleetStatus } from './fleet-status';
import { defaultStatusPrefix, encodeStatus } from './node-status';

let etcd: EtcdConnection;
beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  await forgetKeys(etcd);
  etcd.close();
});

const sha = (c: string) => c.repeat(40);

describe('readAnnouncementHistory', () => {
  it('answers the values the key held, newest first, unreadable ones included, up to limit', async () => {
    const key = uniqueKey('history');
    const revisions: number[] = [];
    for (const commit of [sha('a'), sha('b')]) {
      revisions.push((await announceRevision(etcd, key, { commit }))._unsafeUnwrap());
    }
    revisions.push((await putKey(etcd, key, 'not an announcement!'))._unsafeUnwrap());
    revisions.push(
      (await announceRevision(etcd, key, { commit: sha('c'), by: 'x' }))._unsafeUnwrap(),
    );

    const history = (await readAnnouncementHistory(etcd, key))._unsafeUnwrap();
    expect(history.truncated).toBe(false);
    expect(history.entries.map((e) => e.revision)).toEqual([...revisions].reverse());
    expect(history.entries.map((e) => e.announcement?.commit)).toEqual([
      sha('c'),
      undefined,
      sha('b'),
      sha('a'),
    ]);
    expect(history.entries[0]?.announcement?.by).toBe('x');

    const two = (await readAnnouncementHistory(etcd, key, { limit: 2 }))._unsafeUnwrap();
    expect(two.entries).toHaveLength(2);
  });

  it('stops where the key was deleted and created again, and is empty for no key', async () => {
    const key = uniqueKey('history-recreated');
    (await announceRevision(etcd, key, { commit: sha('a') }))._unsafeUnwrap();
    (await deleteKey(etcd, key))._unsafeUnwrap();
    (await announceRevision(etcd, key, { commit: sha('b') }))._unsafeUnwrap();
    const history = (await readAnnouncementHistory(etcd, key))._unsafeUnwrap();
    expect(history.entries.map((e) => e.announcement?.commit)).toEqual([sha('b')]);

    const none = (await readAnnouncementHistory(etcd, uniqueKey('history-none')))._unsafeUnwrap();
    expect(none).toMatchObject({ entries: [], truncated: false });
  });
});

describe('readFleetStatus', () => {
  it('reads the announcement and every node status under the prefix, sorted by node id', async () => {
    const key = uniqueKey('fleet');
    const revision = (await announceRevision(etcd, key, { commit: sha('d') }))._unsafeUnwrap();
    const prefix = defaultStatusPrefix(key);
    const status = (nodeId: string) => ({
      nodeId,
      commit: sha('d'),
      revision,
      ok: true,
      healthy: true,
      error: undefined,
      updatedAt: new Date().toISOString(),
      activeSince: new Date().toISOString(),
      lastSyncMs: 12,
    });
    (await putKey(etcd, `${prefix}node-b`, encodeStatus(status('node-b'))))._unsafeUnwrap();
    (await putKey(etcd, `${prefix}node-a`, encodeStatus(status('node-a'))))._unsafeUnwrap();
    (await putKey(etcd, `${prefix}junk`, 'not a status'))._unsafeUnwrap();

    const fleet = (await readFleetStatus(etcd, key))._unsafeUnwrap();
    expect(fleet).toMatchObject({
      key,
      announced: { commit: sha('d') },
      announcedRevision: revision,
    });
    expect(fleet.nodes.map((n) => [n.nodeId, n.lastSyncMs])).toEqual([
      ['node-a', 12],
      ['node-b', 12],
    ]);

    const refused = await readFleetStatus(etcd, key, { statusPrefix: key });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
  });
});
