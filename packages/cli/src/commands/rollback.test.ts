// `berth rollback` in-process against real etcd, real watcher nodes and the real git server: the
// previous commit comes from etcd's history of the key, --to names one, --wait waits like deploy.
import { announceRevision, connectEtcd, readAnnouncement, type EtcdConnection } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  directoryNode,
  forgetKeys,
  uniqueKey,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { captureIo } from '../../test/capture-io';
import { ExitCode, run } from '../program';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.dispose()));
  await forgetKeys(etcd);
  etcd.close();
});

async function berth(argv: string[]) {
  const captured = captureIo({ env: { BERTH_ETCD_ENDPOINTS: serviceEnv().etcdEndpoint } });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const announced = async (key: string) => (await readAnnouncement(etcd, key))._unsafeUnwrap();

describe('berth rollback', () => {
  it('announces the previous commit, waits for the nodes, goes back and forth, and takes --to', async () => {
    const repo = await fixtures.repo('cli-rollback');
    const first = await commitFiles(repo, { 'index.html': 'one\n' });
    const second = await commitFiles(repo, { 'index.html': 'two\n' });
    const key = uniqueKey('cli-rollback');
    const started = await Promise.all(
      ['node-1', 'node-2'].map((nodeId) =>
        directoryNode({ url: repo.url, etcd, key, nodeId, retry: { maxMs: 500 } }),
      ),
    );
    nodes.push(...started);
    const wait = ['--wait', '--min-nodes', '2', '--timeout', '60s'];
    expect((await berth(['deploy', '--key', key, '--commit', first, ...wait])).code).toBe(0);
    expect((await berth(['deploy', '--key', key, '--commit', second, ...wait])).code).toBe(0);
    // The same commit announced again (a rebuild) is not a step to roll back to.
    (await announceRevision(etcd, key, { commit: second, by: 'rebuild' }))._unsafeUnwrap();

    const back = await berth(['rollback', '--key', key, '--by', 'ops', ...wait, '--json']);
    expect(back.stderr).toContain('waiting for');
    expect(back.code).toBe(ExitCode.ok);
    expect(JSON.parse(back.stdout)).toMatchObject({
      key,
      from: second,
      commit: first,
      wait: { converged: true, minNodes: 2 },
    });
    expect(await announced(key)).toMatchObject({ commit: first, by: 'ops' });
    for (const node of started) expect(await node.served()).toBe(first);

    const forth = await berth(['rollback', '--key', key, ...wait]);
    expect(forth.code).toBe(ExitCode.ok);
    expect(forth.stdout).toContain(
      `rolling ${key} back from ${first.slice(0, 12)} to ${second.slice(0, 12)}`,
    );
    expect(forth.stdout).toContain(`all 2 live nodes serve ${second.slice(0, 12)}`);
    for (const node of started) expect(await node.served()).toBe(second);

    const named = await berth(['rollback', '--key', key, '--to', first.slice(0, 8), ...wait]);
    expect(named.code).toBe(ExitCode.ok);
    expect((await announced(key))?.commit).toBe(first);
    for (const node of started) expect(await node.served()).toBe(first);
  });

  it('refuses when there is nothing earlier, or --to is not a commit, with exit 2', async () => {
    const key = uniqueKey('cli-rollback-none');
    const nothing = await berth(['rollback', '--key', key]);
    expect(nothing.code).toBe(ExitCode.usage);
    expect(nothing.stderr).toContain('announces nothing');

    const only = 'a'.repeat(40);
    (await announceRevision(etcd, key, { commit: only }))._unsafeUnwrap();
    const once = await berth(['rollback', '--key', key]);
    expect(once.code).toBe(ExitCode.usage);
    expect(once.stderr).toContain('name the commit with --to');
    expect((await announced(key))?.commit).toBe(only);

    for (const to of ['HEAD~1', 'bbbbbbbb']) {
      const refused = await berth(['rollback', '--key', key, '--to', to]);
      expect(refused.code).toBe(ExitCode.usage);
      expect(refused.stderr).toContain('--to');
    }
    expect((await announced(key))?.commit).toBe(only);
  });
});
