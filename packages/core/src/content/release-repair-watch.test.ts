// A CDN node repairs a deleted or damaged active release by itself: on re-announcement of the
// active commit, on syncNow() and on a restart of the watcher — each of them publishes the
// announced commit, and publishing the active commit checks its release first.
import { readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { announceRevision } from '../coordination/announce';
import { connectEtcd, type EtcdConnection } from '../coordination/etcd';
import { listNodeStatuses } from '../coordination/fleet';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  directoryNode,
  forgetKeys,
  ofType,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commit: string;
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('repair-watch');
  commit = await commitFiles(repo, {
    'site/index.html': '<h1>whole</h1>\n',
    'site/a.css': 'a{}\n',
  });
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.dispose()));
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

const start = async (key: string, dir?: string) => {
  const n = await directoryNode({
    etcd,
    key,
    url: repo.url,
    nodeId: `repair-${nodes.length}`,
    subdir: 'site/',
    ...(dir !== undefined && { dir }),
  });
  nodes.push(n);
  (await n.handle.ready)._unsafeUnwrap();
  return n;
};
const page = (dir: string) => readFile(join(dir, 'current', 'index.html'), 'utf8');
const release = (dir: string) => join(dir, '.berth', 'releases', commit);

describe('a node with a damaged active release', () => {
  it('rebuilds it when the active commit is announced again', async () => {
    const key = uniqueKey('repair-announce');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    const n = await start(key);
    await rm(join(n.dir, '.berth', 'releases'), { recursive: true });
    const revision = (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    await until('synced the re-announcement', () =>
      ofType(n.events, 'synced').some((e) => e.revision === revision),
    );
    const synced = ofType(n.events, 'synced').find((e) => e.revision === revision);
    expect(synced).toMatchObject({ commit, unchanged: false });
    expect(synced?.targets.map((t) => t.repaired)).toEqual([true]);
    expect(await page(n.dir)).toBe('<h1>whole</h1>\n');
  });

  it('rebuilds it on syncNow()', async () => {
    const key = uniqueKey('repair-sync-now');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    const n = await start(key);
    await truncate(join(release(n.dir), 'index.html'), 3);
    (await n.handle.syncNow())._unsafeUnwrap();
    expect(await page(n.dir)).toBe('<h1>whole</h1>\n');
    expect(n.handle.status()).toMatchObject({ commit, healthy: true });
  });

  it('rebuilds it when the watcher starts again', async () => {
    const key = uniqueKey('repair-restart');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    const dir = await fixtures.dir('berth-repair-restart');
    const first = await start(key, dir);
    await first.handle.stop();
    await rm(release(dir), { recursive: true });
    const again = await start(key, dir);
    expect(ofType(again.events, 'synced')[0]).toMatchObject({ commit, unchanged: false });
    expect(ofType(again.events, 'synced')[0]?.targets.map((t) => t.repaired)).toEqual([true]);
    expect(await page(dir)).toBe('<h1>whole</h1>\n');
  });
});

describe("a node's status", () => {
  it('says a publish that found its release whole repaired nothing', async () => {
    const key = uniqueKey('repair-none');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    const n = await start(key);
    const revision = (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    await until('synced the re-announcement', () =>
      ofType(n.events, 'synced').some((e) => e.revision === revision),
    );
    const synced = ofType(n.events, 'synced').find((e) => e.revision === revision);
    expect(synced).toMatchObject({ commit, unchanged: true });
    expect(synced?.targets.map((t) => t.repaired)).toEqual([false]);
  });

  it('reports the disk its git cache and releases take', async () => {
    const key = uniqueKey('disk-usage');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    await start(key);
    let usage: { cacheBytes?: number; releasesBytes?: number } | undefined;
    await until('disk usage in the status in etcd', async () => {
      const statuses = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
      usage = statuses[0]?.diskUsage;
      return usage !== undefined;
    });
    // The release holds the two files of site/ (16 + 4 bytes) plus its manifest; the cache at
    // least the pack of the commit.
    expect(usage?.releasesBytes).toBeGreaterThanOrEqual(20);
    expect(usage?.cacheBytes).toBeGreaterThan(0);
  });
});
