// How an update reaches the fleet: the fetch path (a plain announcement: every node fetches from
// the origin), a carried change (the announcement carries the pack) or the elected fetch (one
// node fetches and shares it).
import { announceRevision, type WatchEvent } from '@berth/core';
import { unwrap } from './cdn-node.ts';
import type { BenchContext, Update } from './context.ts';
import type { WatcherExtras } from './berth-single.ts';

export type DeployPath = 'fetch' | 'carried' | 'elected';

export interface Announced {
  readonly revision: number;
}

/** Announces `update` on `key` the way `path` says. */
export async function announceUpdate(
  ctx: BenchContext,
  key: string,
  update: Update,
  path: DeployPath,
): Promise<Announced> {
  if (path === 'carried') throw new Error('carried announcements need the carry API (carry13)');
  return { revision: unwrap(await announceRevision(ctx.etcd, key, { commit: update.sha })) };
}

/** What a watcher of `path` needs beyond the bench's defaults. */
export function watcherExtras(path: DeployPath): WatcherExtras {
  if (path === 'elected') throw new Error('the elected fetch needs the carry API (carry13)');
  return {};
}

/** The path a node's watcher reports it took for an update (`origin`, `carried`, …). */
export function pathTaken(synced: Extract<WatchEvent, { type: 'synced' }>): string {
  return 'path' in synced && typeof synced.path === 'string' ? synced.path : 'unreported';
}
