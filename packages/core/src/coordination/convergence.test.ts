// What Jenkins does after a push: announce, then wait until every live node serves the commit.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  commitSeries,
  directoryNode,
  forgetKeys,
  uniqueKey,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { waitForConvergence } from './convergence';
import { connectEtcd, type EtcdConnection } from './etcd';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('converge');
  commits = await commitSeries(repo.dir, 3, (i) => ({ 'index.html': `version ${i}\n` }));
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.dispose()));
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

const commit = (i: number) => commits[i] ?? '';

async function fleet(key: string, brokenNode?: string): Promise<void> {
  for (const nodeId of ['cdn-a', 'cdn-b', 'cdn-c']) {
    let dir: string | undefined;
    if (nodeId === brokenNode) {
      // Its target path is a file: every publish there fails with TargetIo.
      dir = join(await fixtures.dir('berth-broken'), 'www');
      await writeFile(dir, 'not a directory');
    }
    nodes.push(
      await directoryNode({
        etcd,
        key,
        url: repo.url,
        nodeId,
        retry: { initialMs: 100, maxMs: 400 },
        ...(dir && { dir }),
      }),
    );
  }
}

describe('waitForConvergence', () => {
  it('answers every live node’s status once all three serve the announced commit', async () => {
    const key = uniqueKey('converge');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    await fleet(key);
    const revision = (
      await announceRevision(etcd, key, { commit: commit(1), by: 'jenkins#1' })
    )._unsafeUnwrap();
    const statuses = (
      await waitForConvergence(etcd, key, { commit: commit(1), minNodes: 3, timeoutMs: 20_000 })
    )._unsafeUnwrap();
    expect(statuses.map((s) => s.nodeId).sort()).toEqual(['cdn-a', 'cdn-b', 'cdn-c']);
    for (const s of statuses)
      expect(s).toMatchObject({ commit: commit(1), revision, ok: true, healthy: true });
    expect(await Promise.all(nodes.map((n) => n.served()))).toEqual([
      commit(1),
      commit(1),
      commit(1),
    ]);
  });

  it('times out naming the node whose target is broken, with its last error', async () => {
    const key = uniqueKey('laggard');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    await fleet(key, 'cdn-b');
    (await announceRevision(etcd, key, { commit: commit(2) }))._unsafeUnwrap();
    const error = (
      await waitForConvergence(etcd, key, { commit: commit(2), minNodes: 3, timeoutMs: 6_000 })
    )._unsafeUnwrapErr();
    if (error.kind !== 'ConvergenceTimeout')
      throw new Error(`expected ConvergenceTimeout, got ${error.kind}: ${error.message}`);
    expect([...error.converged].sort()).toEqual(['cdn-a', 'cdn-c']);
    expect(error.lagging).toEqual([
      expect.objectContaining({
        nodeId: 'cdn-b',
        commit: undefined,
        healthy: false,
        error: expect.objectContaining({ kind: 'TargetIo' }),
      }),
    ]);
    expect(error.message).toMatch(/cdn-b serves nothing \(TargetIo: /);
  });

  it('with fromRevision, takes no status written before the announcement for an answer', async () => {
    // A rollback while the node backs off from a commit it cannot fetch: its status already
    // names the rolled-back-to commit, from before, not from having applied the rollback.
    const key = uniqueKey('from-revision');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const node = await directoryNode({
      etcd,
      key,
      url: repo.url,
      nodeId: 'cdn-a',
      retry: { initialMs: 1_500, maxMs: 1_500 },
    });
    nodes.push(node);
    (await node.handle.ready)._unsafeUnwrap();
    const before = node.handle.status();
    expect(before).toMatchObject({ commit: commit(0), healthy: true });
    (await announceRevision(etcd, key, { commit: 'e'.repeat(40) }))._unsafeUnwrap();
    await expect
      .poll(() => node.handle.status().failures, { timeout: 20_000, interval: 20 })
      .toBeGreaterThan(0);

    const revision = (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const statuses = (
      await waitForConvergence(etcd, key, {
        commit: commit(0),
        fromRevision: revision,
        timeoutMs: 20_000,
      })
    )._unsafeUnwrap();
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ commit: commit(0), ok: true });
    expect(statuses[0]?.revision).toBeGreaterThanOrEqual(revision);

    // A timeout names the node that serves the commit from before the announcement.
    const later = (
      await waitForConvergence(etcd, key, {
        commit: commit(0),
        fromRevision: revision + 1_000,
        timeoutMs: 300,
      })
    )._unsafeUnwrapErr();
    expect(later.message).toMatch(/cdn-a serves \w{12}, but has not applied revision \d+ yet/);
    expect(
      (
        await waitForConvergence(etcd, key, { commit: commit(0), fromRevision: 0, timeoutMs: 300 })
      )._unsafeUnwrapErr(),
    ).toMatchObject({ kind: 'InvalidInput', field: 'fromRevision' });
  });

  it('waits for enough live nodes and refuses a commit that is not a full SHA', async () => {
    const key = uniqueKey('few');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    await fleet(key);
    const error = (
      await waitForConvergence(etcd, key, { commit: commit(0), minNodes: 4, timeoutMs: 1_500 })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'ConvergenceTimeout', minNodes: 4, lagging: [] });
    expect(error.message).toMatch(/3 live nodes of 4 required/);
    expect(
      (
        await waitForConvergence(etcd, key, { commit: 'main', timeoutMs: 1_000 })
      )._unsafeUnwrapErr(),
    ).toMatchObject({
      kind: 'InvalidInput',
      field: 'commit',
    });
  });
});
