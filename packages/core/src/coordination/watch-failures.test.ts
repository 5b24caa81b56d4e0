// The watcher when things break: the git server gone, etcd gone (at start, or while history is
// compacted), the watcher itself stopped. A private etcd, since compaction is for the whole store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster } from '../../../../test/support/etcd-cluster';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy';
import {
  commitSeries,
  directoryNode,
  ofType,
  uniqueKey,
  until,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { compactHistory } from './etcd-kv';

const fixtures = useGitFixtures();
const privateEtcd = useEtcdCluster(1);
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: privateEtcd.cluster.endpoints }))._unsafeUnwrap();
  repo = await fixtures.repo('failures');
  commits = await commitSeries(repo.dir, 60, (i) => ({ 'index.html': `version ${i}\n` }));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => etcd?.close());

const commit = (i: number) => commits[i] ?? '';
const proxyTo = async (port: number): Promise<TcpProxy> => {
  const proxy = await startTcpProxy(port);
  cleanups.push(() => proxy.close());
  return proxy;
};
const etcdThrough = async (proxy: TcpProxy): Promise<EtcdConnection> => {
  const own = (
    await connectEtcd({ endpoints: [`http://127.0.0.1:${proxy.port}`] })
  )._unsafeUnwrap();
  cleanups.push(() => own.close());
  return own;
};
const node = async (options: Partial<Parameters<typeof directoryNode>[0]> & { key: string }) => {
  const n = await directoryNode({ etcd, url: repo.url, nodeId: 'node', ...options });
  cleanups.push(() => n.dispose());
  return n;
};
const port = (url: string) => Number(new URL(url).port);

describe('watchAndPull when things break', () => {
  it('backs off while the git server is gone, reports it, and publishes once it is back', async () => {
    const git = await proxyTo(port(serviceEnv().gitBaseUrl));
    const key = uniqueKey('git-down');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const url = repo.url.replace(serviceEnv().gitBaseUrl, `http://127.0.0.1:${git.port}`);
    const n = await node({ key, url, retry: { initialMs: 100, maxMs: 800 } });
    (await n.handle.ready)._unsafeUnwrap();

    await git.cut();
    (await announceRevision(etcd, key, { commit: commit(1) }))._unsafeUnwrap();
    await until('five failed attempts', () => ofType(n.events, 'failed').length >= 5);
    expect(ofType(n.events, 'failed')[0]?.error).toMatchObject({
      kind: 'GitFetch',
      reason: 'unreachable',
    });
    expect(n.handle.status()).toMatchObject({ healthy: false, connected: true, commit: commit(0) });
    // Capped exponential backoff with jitter: each wait in [cap/2, cap], cap = min(800, 100·2^(n-1)).
    const delays = ofType(n.events, 'retrying').map((e) => e.delayMs);
    delays.slice(0, 5).forEach((delay, i) => {
      const cap = Math.min(800, 100 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(cap / 2);
      expect(delay).toBeLessThanOrEqual(cap);
    });
    expect(await n.served()).toBe(commit(0));

    await git.restore();
    await until('synced after the outage', () => n.handle.status().commit === commit(1), 15_000);
    expect(n.handle.status()).toMatchObject({ healthy: true, failures: 0 });
    expect(await n.served()).toBe(commit(1));
  });

  it('starts while etcd is unreachable, says so, and syncs once it answers', async () => {
    const proxy = await proxyTo(port(privateEtcd.cluster.endpoints[0] ?? ''));
    const own = await etcdThrough(proxy);
    const key = uniqueKey('etcd-down-at-start');
    (await announceRevision(etcd, key, { commit: commit(2) }))._unsafeUnwrap();
    await proxy.cut();
    const n = await node({ key, etcd: own });
    expect((await n.handle.ready)._unsafeUnwrapErr()).toMatchObject({ kind: 'EtcdUnreachable' });
    expect(n.handle.status()).toMatchObject({ connected: false, healthy: false });
    await proxy.restore();
    await until('synced once etcd answers', () => n.handle.status().commit === commit(2), 20_000);
    // The read that synced it can finish before the watch is up again (healthy needs both): one CI
    // run on a busy machine saw the commit a moment before `connected`.
    await until('healthy once watching again', () => n.handle.status().healthy, 20_000);
    expect(n.handle.status()).toMatchObject({ connected: true, healthy: true, commit: commit(2) });
  });

  it('after a disconnect during which history was compacted, reads the key again and converges', async () => {
    const proxy = await proxyTo(port(privateEtcd.cluster.endpoints[0] ?? ''));
    const own = await etcdThrough(proxy);
    const key = uniqueKey('compacted');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const n = await node({ key, etcd: own });
    (await n.handle.ready)._unsafeUnwrap();
    const applied = n.handle.status().revision ?? 0;

    await proxy.cut();
    await until('disconnected', () => !n.handle.status().connected);
    let last = 0;
    for (let i = 1; i <= 50; i++)
      last = (await announceRevision(etcd, key, { commit: commit(i) }))._unsafeUnwrap();
    (await compactHistory(etcd, last))._unsafeUnwrap();
    await proxy.restore();

    await until('converged', () => n.handle.status().commit === commit(50), 20_000);
    expect(await n.served()).toBe(commit(50));
    expect(n.handle.status().revision).toBe(last);
    // The read on reconnecting already converged it (a publish takes ~100 ms); the watch from
    // the last applied revision is cancelled for compaction independently of that: wait for it.
    await until(
      'watching again after the compaction',
      () =>
        ofType(n.events, 'reconnected').some(
          (e) => e.after === 'cancelled' && e.resumedFrom === 'read',
        ),
      20_000,
    );
    // It resumed from the last applied revision, found it compacted, and read the key again.
    expect(ofType(n.events, 'reconnected')[0]).toMatchObject({
      resumedFrom: 'last-applied',
      fromRevision: applied + 1,
    });
    expect(ofType(n.events, 'compacted')[0]).toMatchObject({ requestedRevision: applied + 1 });
    expect(
      ofType(n.events, 'reconnected').some(
        (e) => e.after === 'cancelled' && e.resumedFrom === 'read',
      ),
    ).toBe(true);
  });

  it('converges on restart after being stopped while 50 revisions were written and compacted', async () => {
    const key = uniqueKey('restart');
    const dir = `${await fixtures.dir('berth-restart')}/www`;
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const first = await node({ key, dir });
    (await first.handle.ready)._unsafeUnwrap();
    await first.handle.stop();

    let last = 0;
    for (let i = 1; i <= 50; i++)
      last = (await announceRevision(etcd, key, { commit: commit(i) }))._unsafeUnwrap();
    (await compactHistory(etcd, last))._unsafeUnwrap();

    const again = await node({ key, dir });
    expect((await again.handle.ready)._unsafeUnwrap()).toMatchObject({
      commit: commit(50),
      revision: last,
    });
    expect(await again.served()).toBe(commit(50));
    expect(ofType(again.events, 'synced')).toHaveLength(1);
  });
});
