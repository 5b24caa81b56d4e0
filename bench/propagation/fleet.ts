// A fleet of nodes on one key: each its own data and nginx containers and its own watcher
// (directory target, as the seed's topology); the time until the last node serves.
import { okAsync } from 'neverthrow';
import { announceRevision, directoryTarget } from '@berth/core';
import { cdnNode, unwrap, type CdnNode } from './cdn-node.ts';
import { epochNow, oneFileUpdate, type BenchContext, type Update } from './context.ts';
import { startWatcher, type RunningWatcher } from './berth-single.ts';
import type { MethodResult, Sample } from './samples.ts';
import { servedAt } from './serve-poll.ts';

export async function measureFleet(
  ctx: BenchContext,
  size: number,
  afterEach: (update: Update) => Promise<void> = () => Promise.resolve(),
): Promise<MethodResult[]> {
  const key = `berth-bench/${ctx.runId}/fleet`;
  const nodes: CdnNode[] = [];
  const watchers: RunningWatcher[] = [];
  for (let i = 0; i < size; i++) {
    const node = await cdnNode(
      ctx.docker,
      `bench-fleet${i}-${ctx.runId}`,
      '/www/current',
      ctx.labels,
    );
    nodes.push(node);
    watchers.push(
      await startWatcher(ctx, key, `fleet-${i}`, {
        target: directoryTarget(node.wwwOnHost),
        beforeActivate: () => okAsync(undefined),
      }),
    );
  }
  const last: Sample[] = [];
  const each: Sample[] = [];
  try {
    for (let i = 0; i < ctx.warmup + ctx.updates; i++) {
      const update = await oneFileUpdate(ctx.repo, `fleet-${i}`);
      const started = performance.now();
      const announcedAt = epochNow();
      const revision = unwrap(await announceRevision(ctx.etcd, key, { commit: update.sha }));
      const served = await Promise.all(nodes.map((n) => servedAt(n.url, update.marker)));
      const synced = await Promise.all(watchers.map((w) => w.synced(revision)));
      await afterEach(update);
      if (i < ctx.warmup) continue;
      const slowest = Math.max(...served);
      const notify = Math.max(...synced.map((s) => s.timings.receivedAt - announcedAt));
      const fetch = Math.max(...synced.map((s) => s.timings.fetchMs));
      last.push({
        totalMs: slowest - started,
        parts: { 'notify (last node)': notify, 'fetch (slowest)': fetch },
      });
      for (const t of served) each.push({ totalMs: t - started, parts: {} });
    }
  } finally {
    await Promise.all(watchers.map((w) => w.handle.stop()));
  }
  return [
    { method: `fleet of ${size}: last node`, samples: last },
    { method: `fleet of ${size}: any node`, samples: each },
  ];
}
