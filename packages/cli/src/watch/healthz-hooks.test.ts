// /healthz and /metrics of `berth watch` while an after-swap hook fails, on a real watcher (real
// etcd, real git, a local directory target): 503 with the hook's error, a metric, then 200.
import {
  announceRevision,
  berthError,
  connectEtcd,
  directoryTarget,
  openGitSource,
  watchAndPull,
  type ActivationHook,
  type EtcdConnection,
  type WatchHandle,
} from '@berth/core';
import { errAsync, okAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import { forgetKeys, uniqueKey, until } from '../../../../test/support/watch-fixtures';
import { startDaemonHttp, type DaemonHttp } from './http-server';
import { createWatchMetrics } from './metrics';

const fixtures = useGitFixtures();

describe('berth watch health while an after-swap hook fails', () => {
  let etcd: EtcdConnection;
  let watcher: WatchHandle | undefined;
  let http: DaemonHttp | undefined;
  const key = uniqueKey('healthz-hooks');
  let reloadWorks = false;
  const reload: ActivationHook = (context) =>
    reloadWorks
      ? okAsync(undefined)
      : errAsync(
          berthError.hookFailed({
            hook: 'afterActivate',
            commit: context.commit,
            message: 'reload not confirmed',
          }),
        );

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  });
  afterAll(async () => {
    await watcher?.stop();
    await http?.close();
    if (etcd) await forgetKeys(etcd);
    etcd?.close();
  });

  const healthz = async () => {
    const response = await fetch(`${http?.url ?? ''}/healthz`);
    return {
      status: response.status,
      body: (await response.json()) as { healthy: boolean; pendingHook?: unknown },
    };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${http?.url ?? ''}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return Number(line?.split(' ').at(-1));
  };

  it('answers 503 with healthy false before the first publish, then 503 naming the failing hook, then 200', async () => {
    const repo = await fixtures.repo('healthz-hooks');
    const commit = await commitFiles(repo, { 'index.html': 'one\n' });
    const source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-healthz-cache'),
    })._unsafeUnwrap();
    const target = directoryTarget(await fixtures.dir('berth-healthz-www'));
    watcher = watchAndPull({
      etcd,
      key,
      source,
      nodeId: 'edge',
      targets: [{ target, afterActivate: reload }],
      retry: { initialMs: 50, maxMs: 200 },
    })._unsafeUnwrap();
    const handle = watcher;
    const metrics = createWatchMetrics({ node: 'edge', key });
    void (async () => {
      for await (const event of handle.events) metrics.observe(event);
    })();
    http = await startDaemonHttp({
      listen: { host: '127.0.0.1', port: 0 },
      status: () => handle.status(),
      metrics,
      title: key,
      fleet: () => Promise.reject(new Error('not used')),
    });
    // Nothing announced yet: connected, nothing failing, but nothing served either.
    (await handle.ready)._unsafeUnwrap();
    expect(await healthz()).toMatchObject({ status: 503, body: { healthy: false } });

    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    await until(
      'the hook failed twice',
      async () => (await metric('berth_hook_failures_total')) >= 2,
    );
    const failing = await healthz();
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({
      commit,
      healthy: false,
      pendingHook: { hook: 'afterActivate', commit, error: { kind: 'HookFailed' } },
    });
    expect(await metric('berth_hook_failing')).toBe(1);
    expect(await metric('berth_healthy')).toBe(0);

    reloadWorks = true;
    await until('healthy', async () => (await healthz()).status === 200);
    expect((await healthz()).body.healthy).toBe(true);
    expect(await metric('berth_hook_failing')).toBe(0);
    expect(await metric('berth_healthy')).toBe(1);
  });
});
