// `berth deploy --carry` in-process against real etcd and a real watcher node: the change goes
// into etcd with the announcement and the node publishes it without fetching from the origin.
import { carriedKey, connectEtcd, type EtcdConnection } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  directoryNode,
  forgetKeys,
  ofType,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { deletePrefix } from '../../../core/src/coordination/etcd-kv';
import { captureIo } from '../../test/capture-io';
import { ExitCode, run } from '../program';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
const nodes: DirectoryNode[] = [];
const key = uniqueKey('deploy-carry');

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.dispose()));
  (await deletePrefix(etcd, `berth/carried/${key}/`))._unsafeUnwrap();
  await forgetKeys(etcd);
  etcd.close();
});

async function berth(argv: string[], env: Record<string, string> = {}) {
  const captured = captureIo({
    env: { BERTH_ETCD_ENDPOINTS: serviceEnv().etcdEndpoint, ...env },
  });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('berth deploy --carry', () => {
  it('carries the change from a checkout (flag or BERTH_CARRY) and the node publishes it carried', async () => {
    const repo = await fixtures.repo('deploy-carry');
    const first = await commitFiles(repo, { 'index.html': 'one\n' });
    const second = await commitFiles(repo, { 'index.html': 'two\n' });
    const plain = await berth(['deploy', '--key', key, '--commit', first, '--carry', repo.dir]);
    expect(plain.code).toBe(ExitCode.ok);
    expect(plain.stdout).toMatch(/nothing carried \(no-base\)/);

    const node = await directoryNode({ etcd, key, url: repo.url, nodeId: 'carry-node' });
    nodes.push(node);
    (await node.handle.ready)._unsafeUnwrap();

    const carried = await berth(['deploy', '--key', key, '--commit', second, '--json'], {
      BERTH_CARRY: repo.dir,
    });
    expect(carried.code).toBe(ExitCode.ok);
    expect(JSON.parse(carried.stdout)).toMatchObject({
      commit: second,
      carried: { carried: true, base: first, key: carriedKey(key, second) },
    });
    await until('synced the second commit', () =>
      ofType(node.events, 'synced').some((e) => e.commit === second),
    );
    expect(ofType(node.events, 'synced').find((e) => e.commit === second)?.path).toBe('carried');

    const help = await berth(['deploy', '--help']);
    expect(help.stdout).toMatch(/--carry <repository dir>/);
    expect(help.stdout).toMatch(/BERTH_CARRY/);
  });
});
