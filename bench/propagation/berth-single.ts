// berth on one node: the watcher publishing into the node's /www, by the directory target (the
// watcher where the volumes are mounted) or the container target (Docker API only).
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { okAsync } from 'neverthrow';
import {
  containerTarget,
  directoryTarget,
  openGitSource,
  watchAndPull,
  type ContentTarget,
  type WatchAndPullOptions,
  type WatchEvent,
  type WatchHandle,
  type WatchTarget,
} from '@berth/core';
import { cdnNode, unwrap, type CdnNode } from './cdn-node.ts';
import { epochNow, oneFileUpdate, type BenchContext, type Update } from './context.ts';
import { announceUpdate, type DeployPath } from './announce.ts';
import { logDockerRequests } from './docker-requests.ts';
import { originUrl, takeOriginLoad } from './origin.ts';
import type { MethodResult, Sample } from './samples.ts';
import { servedAt } from './serve-poll.ts';

type Synced = Extract<WatchEvent, { type: 'synced' }>;

/**
 * The target with its release check answered without looking: the publish path as it was
 * before releases were verified on every publish (manifests are still written), for the
 * verification on/off pair of rows.
 */
function unverified(target: ContentTarget): ContentTarget {
  return {
    ...target,
    check: (commit) => okAsync({ commit, verified: true, depth: 'cheap', problems: [], files: 0 }),
  };
}

/** A watcher and the synced events it has emitted, by revision. */
export interface RunningWatcher {
  readonly handle: WatchHandle;
  synced(revision: number): Promise<Synced>;
}

/** Options of the watcher beyond what every bench watcher sets. */
export type WatcherExtras = Omit<
  Partial<WatchAndPullOptions>,
  'etcd' | 'key' | 'nodeId' | 'source' | 'targets'
>;

/** A watcher on `key` publishing to `target`; its source reaches the origin through the counter. */
export async function startWatcher(
  ctx: BenchContext,
  key: string,
  nodeId: string,
  target: WatchTarget,
  url: string = originUrl(ctx),
  extras: WatcherExtras = {},
): Promise<RunningWatcher> {
  const source = unwrap(
    openGitSource({ url, cacheDir: await mkdtemp(join(ctx.scratch, 'cache-')) }),
  );
  const handle = unwrap(
    watchAndPull({ ...extras, etcd: ctx.etcd, key, nodeId, source, targets: [target] }),
  );
  const seen = new Map<number, Synced>();
  const waiting = new Map<number, (e: Synced) => void>();
  void (async () => {
    for await (const event of handle.events) {
      if (event.type !== 'synced') continue;
      seen.set(event.revision, event);
      waiting.get(event.revision)?.(event);
    }
  })();
  return {
    handle,
    synced: (revision) =>
      seen.has(revision)
        ? Promise.resolve(seen.get(revision) as Synced)
        : new Promise((resolve) => waiting.set(revision, resolve)),
  };
}

/** The parts of one update, from the watcher's own report. */
export function partsOf(
  synced: Synced,
  announcedAt: number,
  servedAtEpoch: number,
): Record<string, number> {
  const t = synced.targets[0];
  const published = synced.timings.receivedAt + synced.timings.totalMs;
  return {
    notify: synced.timings.receivedAt - announcedAt,
    queue: synced.timings.queuedMs,
    fetch: synced.timings.fetchMs,
    plan: t?.planMs ?? 0,
    upload: t?.stageMs ?? 0,
    swap: t?.activateMs ?? 0,
    'seen by poll': Math.max(0, servedAtEpoch - published),
  };
}

/**
 * `updates` one-file updates, one at a time: push, announce, poll nginx until it serves the new
 * content. `afterEach` runs untimed after each (the floors measure the same update there); for
 * the container target, a bare `exec true` is timed there too, the floor of its one exec.
 */
export async function measureBerthNode(
  ctx: BenchContext,
  kind: 'directory' | 'container',
  afterEach: (update: Update) => Promise<void> = () => Promise.resolve(),
  options: { readonly verify?: boolean; readonly path?: DeployPath } = {},
  /** Another URL of the same repository (SSH), named in the method. */
  via?: { readonly url: string; readonly name: string },
): Promise<MethodResult[]> {
  const verify = options.verify !== false;
  const path = options.path ?? 'fetch';
  const carried = path === 'carried' ? ', carried' : '';
  const node: CdnNode = await cdnNode(
    ctx.docker,
    `bench-${kind}${via ? `-${via.name}` : ''}${carried ? '-carried' : ''}-${ctx.runId}`,
    '/www/current',
    ctx.labels,
  );
  const target: WatchTarget =
    kind === 'directory'
      ? // A no-op check makes the swap its own step, so upload and swap are timed apart (no cost here).
        {
          target: verify
            ? directoryTarget(node.wwwOnHost)
            : unverified(directoryTarget(node.wwwOnHost)),
          beforeActivate: () => okAsync(undefined),
        }
      : {
          target: containerTarget(ctx.docker, {
            container: node.data,
            path: '/www',
            labels: ctx.labels,
          }),
        };
  const key = `berth-bench/${ctx.runId}/${kind}${via ? `-${via.name}` : ''}-${path}`;
  const watcher = await startWatcher(ctx, key, `bench-${kind}`, target, via?.url);
  const requests = logDockerRequests();
  const samples: Sample[] = [];
  const execs: Sample[] = [];
  try {
    for (let i = 0; i < ctx.warmup + ctx.updates; i++) {
      const update = await oneFileUpdate(ctx.repo, `${kind}-${i}`);
      requests.take();
      takeOriginLoad(ctx);
      const started = performance.now();
      const announcedAt = epochNow();
      const announced = await announceUpdate(ctx, key, update, path, i >= ctx.warmup);
      const revision = announced.revision;
      const served = await servedAt(node.url, update.marker);
      const servedEpoch = performance.timeOrigin + served;
      const synced = await watcher.synced(revision);
      const dockerRequests = requests.take();
      const origin = via ? undefined : takeOriginLoad(ctx);
      if (i >= ctx.warmup) {
        samples.push({
          totalMs: served - started,
          parts: partsOf(synced, announcedAt, servedEpoch),
          ...(kind === 'container' && { dockerRequests }),
          ...(origin && { origin }),
          paths: [synced.path],
          ...(announced.carriedBytes !== undefined && { carriedBytes: announced.carriedBytes }),
        });
      }
      await afterEach(update);
      if (kind === 'container' && i >= ctx.warmup) {
        // The floor under the container target's hot path: one bare exec (create, start, inspect).
        const execStarted = performance.now();
        unwrap(await node.nginx.exec(['true']));
        execs.push({ totalMs: performance.now() - execStarted, parts: {} });
      }
    }
  } finally {
    requests.stop();
    await watcher.handle.stop();
    unwrap(await target.target.close());
  }
  return [
    {
      method: `berth, ${kind} target${via ? ` over ${via.name}` : ''}${verify ? '' : ', verification off'}${carried}`,
      samples,
    },
    ...(execs.length > 0 ? [{ method: 'floor: one Docker exec of `true`', samples: execs }] : []),
  ];
}
