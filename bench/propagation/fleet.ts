// A fleet of nodes on one key: each its own data and nginx containers and its own watcher in a
// process of its own (directory target, as the seed's topology; one watcher process per node, as
// on a real fleet); the time until the last node serves, and what the whole fleet asked of the
// origin for each update. The nodes are made once and reused by every fleet run (new watcher
// processes, new caches, a new key each time).
import { announceUpdate, watcherExtras, type DeployPath } from './announce.ts';
import { partsOf } from './berth-single.ts';
import { cdnNode, type CdnNode } from './cdn-node.ts';
import { epochNow, oneFileUpdate, type BenchContext, type Update } from './context.ts';
import { startWatcherProcess, type WatcherProcess } from './fleet-process.ts';
import { takeOriginLoad } from './origin.ts';
import type { MethodResult, Sample } from './samples.ts';
import { pollInterval, servedAt } from './serve-poll.ts';

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

/** Starts the fleet's watcher processes a few at a time (each start costs a core for a moment). */
async function startWatchers(
  ctx: BenchContext,
  nodes: readonly CdnNode[],
  key: string,
  path: DeployPath,
  into: WatcherProcess[],
): Promise<void> {
  const AT_ONCE = 4;
  for (let i = 0; i < nodes.length; i += AT_ONCE) {
    const started = await Promise.allSettled(
      nodes
        .slice(i, i + AT_ONCE)
        .map((node, j) =>
          startWatcherProcess(
            ctx,
            key,
            `fleet-${nodes.length}-${path}-${i + j}`,
            node.wwwOnHost,
            watcherExtras(path),
          ),
        ),
    );
    for (const s of started) if (s.status === 'fulfilled') into.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
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
  const interval = pollInterval(nodes.length);
  const watchers: WatcherProcess[] = [];
  try {
    await startWatchers(ctx, nodes, key, path, watchers);
    const last: Sample[] = [];
    const each: Sample[] = [];
    for (let i = 0; i < ctx.warmup + ctx.updates; i++) {
      const update = await oneFileUpdate(ctx.repo, `fleet-${nodes.length}-${path}-${i}`);
      takeOriginLoad(ctx);
      const cpu = process.cpuUsage();
      const started = performance.now();
      const announcedAt = epochNow();
      const announced = await announceUpdate(ctx, key, update, path, i >= ctx.warmup);
      const announceMs = performance.now() - started;
      const served = await Promise.all(nodes.map((n) => servedAt(n.url, update.marker, interval)));
      const benchCpu = process.cpuUsage(cpu);
      const reports = await Promise.all(watchers.map((w) => w.synced(announced.revision)));
      const origin = takeOriginLoad(ctx);
      await afterEach(update);
      if (i < ctx.warmup) continue;
      const slowest = Math.max(...served);
      const synced = reports.map((r) => r.synced);
      const notify = Math.max(...synced.map((s) => s.timings.receivedAt - announcedAt));
      const fetch = Math.max(...synced.map((s) => s.timings.fetchMs));
      last.push({
        totalMs: slowest - started,
        parts: {
          ...(path === 'carried' && { 'announce (pack + store)': announceMs }),
          'notify (last node)': notify,
          'fetch (slowest)': fetch,
          // What the measuring process itself used meanwhile: announcing, polling, the git proxy.
          'bench process CPU': (benchCpu.user + benchCpu.system) / 1000,
          'watcher CPU (all nodes)': reports.reduce((sum, r) => sum + r.cpuMs, 0),
        },
        ...(origin && { origin }),
        paths: synced.map((s) => s.path),
        ...(announced.carriedBytes !== undefined && { carriedBytes: announced.carriedBytes }),
      });
      served.forEach((t, j) => {
        const report = reports[j];
        each.push({
          totalMs: t - started,
          parts: report
            ? {
                ...partsOf(report.synced, announcedAt, performance.timeOrigin + t),
                'watcher CPU': report.cpuMs,
              }
            : {},
        });
      });
    }
    return [
      { method: `${name}: last node`, samples: last },
      { method: `${name}: any node`, samples: each },
    ];
  } finally {
    await Promise.all(watchers.map((w) => w.stop()));
  }
}
