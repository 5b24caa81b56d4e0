// The main job, as a newcomer runs it: `npm run demo -- --once` must pass on this machine, and
// leave nothing behind: no container, no etcd key, no git cache, no URL to a removed nginx.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectEtcd } from '../packages/core/src/index';
import { defaultStatusPrefix } from '../packages/core/src/coordination/node-status';
import { getPrefix } from '../packages/core/src/coordination/etcd-kv';
import { useTestDocker } from './support/docker';
import { freePort } from './support/net';
import { serviceEnv } from './support/services';
import { forgetKeys, uniqueKey } from './support/watch-fixtures';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const t = useTestDocker();
let scratch: string | undefined;

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm run demo -- --once', () => {
  it('serves a repository through etcd, the watcher, the data container and nginx, three updates over, then removes all it made', async () => {
    const port = await freePort();
    const name = t.name('www-content');
    const key = uniqueKey('demo');
    scratch = await mkdtemp(join(tmpdir(), 'berth-demo-test-'));
    const { stdout } = await run('bash', [join(root, 'scripts/demo'), '--once'], {
      cwd: root,
      timeout: 240_000,
      env: {
        ...process.env,
        BERTH_SERVICES_DIR: process.env.BERTH_SERVICES_DIR ?? '/tmp/berth-services',
        TMPDIR: scratch,
        BERTH_TEST_RUN: t.runId,
        BERTH_DEMO_PORT: String(port),
        BERTH_DEMO_NAME: name,
        BERTH_DEMO_KEY: key,
      },
    });
    expect(stdout).toContain(
      `nginx serves http://127.0.0.1:${port}/ from ${name} (--volumes-from)`,
    );
    for (const version of [2, 3, 4]) {
      expect(stdout).toMatch(new RegExp(`\\(version ${version}\\) announced → served in \\d+ ms`));
    }
    expect(stdout).toContain('all three updates served');
    // nginx is gone once --once returns: no line after the updates sends the reader to it.
    const after = stdout.slice(stdout.indexOf('all three updates served'));
    expect(after).not.toContain(`http://127.0.0.1:${port}`);
    expect(stdout).toContain(`removed the containers, the etcd key ${key} and the git cache`);

    const { stdout: left } = await run('docker', [
      ...['ps', '-aq', '--filter', `label=io.berth.test-run=${t.runId}`],
    ]);
    expect(left.trim()).toBe('');
    const etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    try {
      for (const prefix of [key, defaultStatusPrefix(key)])
        expect((await getPrefix(etcd, prefix))._unsafeUnwrap().kvs).toEqual([]);
    } finally {
      await forgetKeys(etcd);
      etcd.close();
    }
    // The demo's repository and git cache were made under TMPDIR (tsx keeps its own cache there).
    expect((await readdir(scratch)).filter((entry) => entry.startsWith('berth-'))).toEqual([]);
  });
});
