// An operator's one-off `berth publish` into the data container a `berth watch` keeps: both work
// through the same helper container (`<data>-berth-helper`). The publish used to remove it as it
// ended, under the watcher, which then failed every publish after against the removed container
// and never recovered. Now the helper stays while another writer runs in it, and a watcher whose
// helper is gone anyway (docker rm -f) makes a new one.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/index';
import { etcdClientOf } from '../packages/core/src/coordination/etcd';
import { binFixtures, exec } from '../packages/cli/test/bin-fixtures';
import { berth, berthBin } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures } from './support/git';
import { serviceEnv } from './support/services';

const t = useTestDocker();
const fixtures = useGitFixtures();
const { createData, label, served } = binFixtures(t);

describe('berth publish beside berth watch, on one data container', () => {
  let etcd: EtcdConnection;
  const key = `berth-test/shared-helper/${Date.now().toString(36)}`;
  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  });
  afterAll(async () => {
    if (etcd) {
      await etcdClientOf(etcd).delete().prefix(key);
      await etcdClientOf(etcd).delete().prefix(`berth/status/${key}`);
    }
    etcd?.close();
  });

  it('the publish leaves the watcher its helper; a helper removed under the watcher is made again', async () => {
    const repo = await fixtures.repo('shared-helper');
    const name = t.name('shared-helper');
    expect((await createData(name)).code).toBe(0);
    const helper = `${name}-berth-helper`;
    const helperIds = async () =>
      (await exec('docker', ['ps', '-aq', '--filter', `name=^/${helper}$`])).stdout
        .split('\n')
        .filter(Boolean);
    const etcdFlags = ['--etcd-endpoints', serviceEnv().etcdEndpoint];
    const deploy = (commit: string) =>
      berth([
        'deploy',
        '--key',
        key,
        '--commit',
        commit,
        '--wait',
        '--timeout',
        '60s',
        ...etcdFlags,
      ]);

    const c1 = await commitFiles(repo, { 'index.html': 'one\n' });
    expect((await berth(['deploy', '--key', key, '--commit', c1, ...etcdFlags])).code).toBe(0);
    const stderr: string[] = [];
    const watch = spawn(
      berthBin,
      [
        'watch',
        ...['--key', key, '--repo', repo.url, '--node-id', 'shared-helper'],
        ...['--target', `=container:${name}:/www`, ...etcdFlags],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    watch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => watch.once('exit', resolve));
    try {
      const first = await deploy(c1);
      expect(first.code, stderr.join('')).toBe(0);
      expect(await served(name, 'index.html')).toBe('one\n');
      const watcherHelper = await helperIds();
      expect(watcherHelper).toHaveLength(1);

      // The operator's hotfix, straight into the container: it runs in the watcher's helper,
      // and leaves it there as it ends.
      const hotfix = await commitFiles(repo, { 'index.html': 'hotfix\n' });
      const published = await berth([
        ...['publish', '--repo', repo.url, '--ref', hotfix, '--container', name, '--path', '/www'],
        ...label(),
      ]);
      expect(published.code, published.stderr).toBe(0);
      expect(await served(name, 'index.html')).toBe('hotfix\n');
      expect(await helperIds()).toEqual(watcherHelper);

      const c3 = await commitFiles(repo, { 'index.html': 'three\n' });
      const third = await deploy(c3);
      expect(third.code, `${third.stdout}${third.stderr}${stderr.join('')}`).toBe(0);
      expect(await served(name, 'index.html')).toBe('three\n');

      // The helper removed under the watcher: its next publish makes a new one.
      await exec('docker', ['rm', '-f', helper]);
      const c4 = await commitFiles(repo, { 'index.html': 'four\n' });
      const fourth = await deploy(c4);
      expect(fourth.code, `${fourth.stdout}${fourth.stderr}${stderr.join('')}`).toBe(0);
      expect(await served(name, 'index.html')).toBe('four\n');
      const made = await helperIds();
      expect(made).toHaveLength(1);
      expect(made).not.toEqual(watcherHelper);

      watch.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The last writer out removes the helper.
      expect(await helperIds()).toEqual([]);
    } finally {
      watch.kill('SIGKILL');
      await exec('docker', ['rm', '-f', helper]).catch(() => undefined);
    }
  });
});
