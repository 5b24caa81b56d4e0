import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { openTestSource } from '../../../../test/support/git-source';
import { serviceEnv } from '../../../../test/support/services';
import { startSlowHttpProxy, type SlowHttpProxy } from '../../../../test/support/slow-http-proxy';

const fixtures = useGitFixtures();
/** Longer than Node 20's keep-alive agent lets a socket sit idle (5 s). */
const DELAY_MS = 7_000;

describe('a server silent while it prepares the pack', () => {
  let proxy: SlowHttpProxy;
  let repo: BareRepo;
  let tip: string;
  beforeAll(async () => {
    proxy = await startSlowHttpProxy(serviceEnv().gitBaseUrl, DELAY_MS);
    repo = await fixtures.repo('slow');
    tip = await commitFiles(repo, { 'index.html': 'slow\n' });
  });
  afterAll(async () => {
    await proxy.close();
  });
  const slowUrl = () => `${proxy.baseUrl}/${repo.name}.git`;

  it('is not a timeout: the fetch waits for it within timeoutMs', async () => {
    const source = await openTestSource(fixtures, { url: slowUrl(), timeoutMs: 30_000 });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(tip);
  }, 40_000);

  it('gives up after timeoutMs, the whole operation, as GitFetch timeout', async () => {
    const source = await openTestSource(fixtures, { url: slowUrl(), timeoutMs: 3_000 });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitFetch',
      reason: 'timeout',
    });
  }, 40_000);

  it('gives up after idleTimeoutMs without a byte, as GitFetch timeout naming it', async () => {
    const source = await openTestSource(fixtures, {
      url: slowUrl(),
      timeoutMs: 30_000,
      idleTimeoutMs: 2_000,
    });
    const error = (await source.resolve('main'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'GitFetch', reason: 'timeout' });
    expect(error.message).toContain('2000 ms');
  }, 40_000);
});
