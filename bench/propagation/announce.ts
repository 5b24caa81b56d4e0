// How an update reaches the fleet: the fetch path (a plain announcement: every node fetches from
// the origin), a carried change (the announcement carries a thin pack built from the bench's
// repository, as Jenkins' checkout would) or the elected fetch (one node fetches and shares it).
import { announceRevision } from '@berth/core';
import { unwrap } from './cdn-node.ts';
import type { BenchContext, Update } from './context.ts';
import type { WatcherExtras } from './berth-single.ts';

export type DeployPath = 'fetch' | 'carried' | 'elected';

export interface Announced {
  readonly revision: number;
  /** The carried value's size, when the change was carried. */
  readonly carriedBytes?: number;
}

/**
 * Announces `update` on `key` the way `path` says. A measured update (`measured`) on the carried
 * path that could not be carried throws: a carried row must only time carried deploys.
 */
export async function announceUpdate(
  ctx: BenchContext,
  key: string,
  update: Update,
  path: DeployPath,
  measured: boolean,
): Promise<Announced> {
  if (path !== 'carried')
    return { revision: unwrap(await announceRevision(ctx.etcd, key, { commit: update.sha })) };
  const announced = unwrap(
    await announceRevision(
      ctx.etcd,
      key,
      { commit: update.sha },
      { carry: { repository: ctx.repo.dir } },
    ),
  );
  const report = announced.carried;
  if (report.carried) return { revision: announced.revision, carriedBytes: report.bytes };
  if (measured) throw new Error(`update ${update.sha} was not carried: ${report.message}`);
  return { revision: announced.revision };
}

/** What a watcher of `path` needs beyond the bench's defaults. */
export function watcherExtras(path: DeployPath): WatcherExtras {
  return path === 'elected' ? { sharedFetch: true } : {};
}
