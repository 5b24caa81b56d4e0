// The examples are run as a user would run them (tsx, importing berth by package name), so they
// cannot rot. Each must exit 0; whatever one leaves behind is swept up by its run label.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures } from './support/git';
import { serviceEnv } from './support/services';
import { freePort } from './support/net';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const t = useTestDocker();
const fixtures = useGitFixtures();

async function example(file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(
    join(root, 'node_modules/.bin/tsx'),
    [join(root, 'examples', file)],
    {
      cwd: root,
      env: { ...process.env, BERTH_TEST_RUN: t.runId, ...env },
      timeout: 120_000,
    },
  );
  return stdout;
}

describe('examples', () => {
  it('data-container.ts serves a page from a data container through nginx', async () => {
    const port = await freePort();
    const out = await example('data-container.ts', {
      BERTH_EXAMPLE_NGINX_IMAGE: serviceEnv().imageNginx,
      BERTH_EXAMPLE_PORT: String(port),
    });
    expect(out).toContain(`GET http://127.0.0.1:${port}/ -> <h1>served from a data container</h1>`);
    expect(out).toMatch(/removed www-content-example-\w+ and 2 volumes/);
  });

  it('resolve-name.ts turns a short id into the name, with and without the slash', async () => {
    const out = await example('resolve-name.ts', {
      BERTH_EXAMPLE_IMAGE: serviceEnv().imageBusybox,
    });
    expect(out).toMatch(/resolve-name-example-\w+/);
  });

  it('publish.ts publishes a commit into a data container', async () => {
    const repo = await fixtures.repo('example-publish');
    const sha = await commitFiles(repo, {
      'index.html': 'example\n',
      'about/index.html': 'about\n',
    });
    const out = await example('publish.ts', {
      BERTH_EXAMPLE_GIT_URL: repo.url,
      BERTH_EXAMPLE_IMAGE: serviceEnv().imageBusybox,
    });
    expect(out).toContain(`published ${sha} into www-content-publish-example-`);
    expect(out).toContain('2 added');
    expect(out).toContain(`active release: ${sha}`);
  });

  it('watch.ts announces a commit, publishes it through a watcher and sees the fleet converge', async () => {
    const repo = await fixtures.repo('example-watch');
    const sha = await commitFiles(repo, { 'index.html': 'watched\n' });
    const out = await example('watch.ts', {
      BERTH_EXAMPLE_GIT_URL: repo.url,
      BERTH_EXAMPLE_KEY: `berth-test/example-watch/${t.runId}`,
      ETCDCTL_ENDPOINTS: serviceEnv().etcdEndpoint,
    });
    expect(out).toContain(sha.slice(0, 12));
  });
});
