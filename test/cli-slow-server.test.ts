// `berth publish` (the built bin) from a git server that is silent for 7 s while it "prepares the
// pack" (a proxy holding back the upload-pack answer): longer than Node 20's default keep-alive
// agent lets a socket sit idle, well within --timeout.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth } from '../packages/cli/test/run-bin';
import { commitFiles, useGitFixtures } from './support/git';
import { serviceEnv } from './support/services';
import { startSlowHttpProxy, type SlowHttpProxy } from './support/slow-http-proxy';

const fixtures = useGitFixtures();

describe('berth publish from a slow git server', () => {
  let proxy: SlowHttpProxy;
  let scratch: string;
  beforeAll(async () => {
    proxy = await startSlowHttpProxy(serviceEnv().gitBaseUrl, 7_000);
    scratch = await mkdtemp(join(tmpdir(), 'berth-slow-'));
  });
  afterAll(async () => {
    await proxy.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('waits for a server silent for 7 s within --timeout', async () => {
    const repo = await fixtures.repo('cli-slow');
    const sha = await commitFiles(repo, { 'index.html': 'slow\n' });
    const dir = join(scratch, 'www');
    const result = await berth([
      ...['publish', '--repo', `${proxy.baseUrl}/${repo.name}.git`, '--ref', 'main'],
      ...['--dir', dir, '--cache-dir', join(scratch, 'cache'), '--timeout', '1m'],
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`published ${sha}`);
    expect(await readFile(join(dir, 'current', 'index.html'), 'utf8')).toBe('slow\n');
  }, 90_000);
});
