// A fleet of nodes on one key: each its own data and nginx containers and its own watcher
// (directory target, as the seed's topology); the time until the last node serves, and what the
// whole fleet asked of the origin for each update. The nodes are made once and reused by every
// fleet run (new watchers, new caches, a new key each time).
import { okAsync } from 'neverthrow';
import { directoryTarget } from '@berth/core';
import { announceUpdate, pathTaken, watcherExtras, type DeployPath } from './announce.ts';
import { cdnNode, type CdnNode } from './cdn-node.ts';
import { epochNow, oneFileUpdate, type BenchContext, type Update } from './context.ts';
import { startWatcher, type RunningWatcher } from './berth-single.ts';
import { takeOriginLoad } from './origin.ts';
import type { MethodResult, Sample } from './samples.ts';
import { servedAt } from './serve-poll.ts';

/** Makes `size` CDN nodes for the fleet runs. */
export async function fleetNodes(ctx: BenchContext, size: number): Promise<CdnNode[]> {
  const nodes: CdnNode[] = [];
  for (let i = 0; i < size; i++)
    nodes.push(
      await cdnNode(ctx.docker, `bench-fleet${i}-${ctx.runId}`, '/www/current', ctx.labels),
    );
  return nodes;
}

/** How a fleet run is named in the tables: `fleet of 10` (the fetch path), `fleet of 10, carried`. */
export function fleetName(size: number, path: DeployPath): string {
  const how = { fetch: '', carried: ', carried', elected: ', elected fetch' }[path];
  return `fleet of ${size}${how}`;
}

/**
 * One update at a time to every node in `nodes`, announced the way `path` says; `afterEach`
 * runs untimed after each update is served everywhere (the fleet floor measures there).
 */
export async function measureFleet(
  ctx: BenchContext,
  nodes: readonly CdnNode[],
  path: DeployPath,
  afterEach: (update: Update) => Promise<void> = () => Promise.resolve(),
): Promise<MethodResult[]> {
  const name = fleetName(nodes.length, path);
  const key = `berth-bench/${ctx.runId}/fleet-${nodes.length}-${path}`;
  const watchers: RunningWatcher[] = [];
  try {
    for (const [i, node] of nodes.entries()) {
      watchers.push(
        await startWatcher(
          ctx,
          key,
          `fleet-${nodes.length}-${path}-${i}`,
          {
            target: directoryTarget(node.wwwOnHost),
            beforeActivate: () => okAsync(undefined),
          },
          undefined,
          watcherExtras(path),
        ),
      );
    }
    const last: Sample[] = [];
    const each: Sample[] = [];
    for (let i = 0; i < ctx.warmup + ctx.updates; i++) {
      const update = await oneFileUpdate(ctx.repo, `fleet-${nodes.length}-${path}-${i}`);
      takeOriginLoad(ctx);
      const started = performance.now();
      const announcedAt = epochNow();
      const announced = await announceUpdate(ctx, key, update, path, i >= ctx.warmup);
      const announceMs = performance.now() - started;
      const served = await Promise.all(nodes.map((n) => servedAt(n.url, update.marker)));
      const synced = await Promise.all(watchers.map((w) => w.synced(announced.revision)));
      const origin = takeOriginLoad(ctx);
      await afterEach(update);
      if (i < ctx.warmup) continue;
      const slowest = Math.max(...served);
      const notify = Math.max(...synced.map((s) => s.timings.receivedAt - announcedAt));
      const fetch = Math.max(...synced.map((s) => s.timings.fetchMs));
      last.push({
        totalMs: slowest - started,
        parts: {
          ...(path === 'carried' && { 'announce (pack + store)': announceMs }),
          'notify (last node)': notify,
          'fetch (slowest)': fetch,
        },
        ...(origin && { origin }),
        paths: synced.map(pathTaken),
        ...(announced.carriedBytes !== undefined && { carriedBytes: announced.carriedBytes }),
      });
      for (const t of served) each.push({ totalMs: t - started, parts: {} });
    }
    return [
      { method: `${name}: last node`, samples: last },
      { method: `${name}: any node`, samples: each },
    ];
  } finally {
    await Promise.all(watchers.map((w) => w.handle.stop()));
  }
}
