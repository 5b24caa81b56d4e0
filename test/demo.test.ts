// The main job, as a newcomer runs it: `npm run demo -- --once` must pass on this machine.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTestDocker } from './support/docker';
import { freePort } from './support/net';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const t = useTestDocker();

describe('npm run demo -- --once', () => {
  it('serves a repository through etcd, the watcher, the data container and nginx, three updates over', async () => {
    const port = await freePort();
    const name = t.name('www-content');
    const { stdout } = await run('bash', [join(root, 'scripts/demo'), '--once'], {
      cwd: root,
      timeout: 240_000,
      env: {
        ...process.env,
        BERTH_TEST_RUN: t.runId,
        BERTH_DEMO_PORT: String(port),
        BERTH_DEMO_NAME: name,
      },
    });
    expect(stdout).toContain(
      `nginx serves http://127.0.0.1:${port}/ from ${name} (--volumes-from)`,
    );
    for (const version of [2, 3, 4]) {
      expect(stdout).toMatch(new RegExp(`\\(version ${version}\\) announced → served in \\d+ ms`));
    }
    expect(stdout).toContain('all three updates served');
  });
});
