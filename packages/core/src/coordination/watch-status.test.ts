// The status keys: written under a lease beside the watched key, never seen as announcements,
// gone when the node stops or dies.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directoryTarget } from '../content/directory-target';
import { openGitSource } from '../git/source';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  commitSeries,
  directoryNode,
  forgetKeys,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { getKey, getPrefix, putKey } from './etcd-kv';
import { defaultStatusPrefix } from './node-status';
import { watchAndPull } from './watch-and-pull';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('watch-status');
  commits = await commitSeries(repo.dir, 10, (i) => ({ 'index.html': `version ${i}\n` }));
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.dispose()));
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

const commit = (i: number) => commits[i] ?? '';
const node = async (key: string, extra: Partial<Parameters<typeof directoryNode>[0]> = {}) => {
  const n = await directoryNode({
    etcd,
    key,
    url: repo.url,
    nodeId: `node-${nodes.length}`,
    ...extra,
  });
  nodes.push(n);
  return n;
};

describe('node status keys', () => {
  it('never takes a status write for an announcement, and refuses a status prefix over the key', async () => {
    const key = uniqueKey('status');
    (await announceRevision(etcd, key, { commit: commit(6) }))._unsafeUnwrap();
    const n = await node(key, { statusPrefix: `status-of/${key}/`, statusTtlSeconds: 1 });
    (await n.handle.ready)._unsafeUnwrap();
    const before = n.events.length;
    for (let i = 0; i < 20; i++)
      (await putKey(etcd, `status-of/${key}/other-${i}`, '{}'))._unsafeUnwrap();
    // A second of keep-alives and status writes: not one of them may reach the watch.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = n.events
      .slice(before)
      .filter((e) => e.type !== 'health' && e.type !== 'status-failed');
    expect(after).toEqual([]);
    expect(
      watchAndPull({ ...baseOptions(key), statusPrefix: `${key}/status/` })._unsafeUnwrapErr(),
    ).toMatchObject({
      kind: 'InvalidInput',
      field: 'statusPrefix',
    });
    const live = (await getPrefix(etcd, `status-of/${key}/`))
      ._unsafeUnwrap()
      .kvs.map((kv) => kv.key);
    expect(live).toContain(`status-of/${key}/node-0`);
  });

  it('drops a dead node out of the status prefix when its lease runs out', async () => {
    const key = uniqueKey('dead');
    (await announceRevision(etcd, key, { commit: commit(7) }))._unsafeUnwrap();
    const own = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    const n = await node(key, { etcd: own, statusTtlSeconds: 2 });
    (await n.handle.ready)._unsafeUnwrap();
    const statusKey = `${defaultStatusPrefix(key)}node-0`;
    await until(
      'status written',
      async () => (await getKey(etcd, statusKey))._unsafeUnwrap().kv !== undefined,
    );
    own.close(); // the node can no longer reach etcd: to the fleet it is dead
    await until(
      'status gone',
      async () => (await getKey(etcd, statusKey))._unsafeUnwrap().kv === undefined,
      10_000,
    );
  });
});

function baseOptions(key: string) {
  return {
    etcd,
    key,
    nodeId: 'options',
    source: openGitSource({ url: repo.url })._unsafeUnwrap(),
    targets: [{ target: directoryTarget('/nonexistent') }],
  };
}
