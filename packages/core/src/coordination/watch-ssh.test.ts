// watchAndPull fetching over SSH (the keys and known_hosts from BERTH_SSH_KEY and
// BERTH_SSH_KNOWN_HOSTS), against the real etcd and sshd, publishing into a local directory.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { sshEnv, sshUrl } from '../../../../test/support/git-ssh';
import { serviceEnv } from '../../../../test/support/services';
import {
  commitSeries,
  directoryNode,
  forgetKeys,
  ofType,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
let node: DirectoryNode | undefined;

beforeAll(async () => {
  const env = sshEnv();
  process.env.BERTH_SSH_KEY = env.key;
  process.env.BERTH_SSH_KNOWN_HOSTS = env.knownHosts;
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('watch-ssh');
  commits = await commitSeries(repo.dir, 3, (i) => ({ 'site/index.html': `ssh ${i}\n` }));
});
afterAll(async () => {
  await node?.dispose();
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
  delete process.env.BERTH_SSH_KEY;
  delete process.env.BERTH_SSH_KNOWN_HOSTS;
});

describe('watchAndPull over ssh', () => {
  it('publishes the announced commit, then the next one, fetched over ssh', async () => {
    const key = uniqueKey('ssh');
    const commit = (i: number) => commits[i] ?? '';
    (await announceRevision(etcd, key, { commit: commit(0), by: 'test' }))._unsafeUnwrap();
    node = await directoryNode({ etcd, key, url: sshUrl(repo), nodeId: 'ssh-0', subdir: 'site/' });
    expect((await node.handle.ready)._unsafeUnwrap()).toMatchObject({ commit: commit(0) });
    const page = () => readFile(join(node!.dir, 'current/index.html'), 'utf8');
    expect(await page()).toBe('ssh 0\n');

    (await announceRevision(etcd, key, { commit: commit(2) }))._unsafeUnwrap();
    await until('synced commit 2', () =>
      ofType(node!.events, 'synced').some((e) => e.commit === commit(2)),
    );
    expect(await page()).toBe('ssh 2\n');
  });
});
