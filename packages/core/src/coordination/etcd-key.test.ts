// One key spelling: announce, watch, node statuses and wait agree on a key whatever its slashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGitFixtures } from '../../../../test/support/git';
import { commitFiles } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  directoryNode,
  forgetKeys,
  uniqueKey,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { waitForConvergence } from './convergence';
import { connectEtcd, type EtcdConnection } from './etcd';
import { normalizeKey } from './etcd-key';
import { getKey } from './etcd-kv';
import { listNodeStatuses, readAnnouncement } from './fleet';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  for (const node of nodes.splice(0)) await node.dispose();
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

describe('normalizeKey', () => {
  it('trims leading and trailing slashes and collapses runs of them', () => {
    expect(normalizeKey('/cdn/site')._unsafeUnwrap()).toBe('cdn/site');
    expect(normalizeKey('cdn/site/')._unsafeUnwrap()).toBe('cdn/site');
    expect(normalizeKey('//cdn///site//')._unsafeUnwrap()).toBe('cdn/site');
    expect(normalizeKey('cdn/site')._unsafeUnwrap()).toBe('cdn/site');
  });

  it('refuses a key that is only slashes, or not a string', () => {
    expect(normalizeKey('///')._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'key',
    });
    expect(normalizeKey('')._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
    expect(normalizeKey(undefined)._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
  });
});

describe('one key, any spelling, on a real etcd', () => {
  it('a watcher on "/k" converges on an announcement to "k/", and both spellings read its status', async () => {
    const repo = await fixtures.repo('key-spelling');
    const commit = await commitFiles(repo, { 'index.html': 'slashes\n' });
    const key = uniqueKey('key-spelling');
    const node = await directoryNode({ url: repo.url, etcd, key: `/${key}`, nodeId: 'slash-node' });
    nodes.push(node);

    (await announceRevision(etcd, `${key}/`, { commit }))._unsafeUnwrap();
    // Written once, under the one spelling.
    expect((await getKey(etcd, key))._unsafeUnwrap().kv).toBeDefined();
    expect((await getKey(etcd, `/${key}`))._unsafeUnwrap().kv).toBeUndefined();

    const converged = await waitForConvergence(etcd, `//${key}`, { commit, timeoutMs: 20_000 });
    expect(converged._unsafeUnwrap().map((s) => [s.nodeId, s.commit])).toEqual([
      ['slash-node', commit],
    ]);
    expect(await node.served()).toBe(commit);
    expect(node.handle.status().key).toBe(key);
    for (const spelling of [key, `/${key}`, `${key}/`]) {
      const statuses = (await listNodeStatuses(etcd, spelling))._unsafeUnwrap();
      expect(statuses.map((s) => s.nodeId)).toEqual(['slash-node']);
      expect((await readAnnouncement(etcd, spelling))._unsafeUnwrap()?.commit).toBe(commit);
    }
  });
});
