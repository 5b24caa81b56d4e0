// How much disk a node's git cache and releases take, measured now and then for its status.
import { ResultAsync, okAsync } from 'neverthrow';
import type { NodeDiskUsage } from './node-status';
import type { WatchSource, WatchTarget } from './watch-types';

/** Measured at most this often: a walk of a big site's releases is not free. */
export const DISK_USAGE_INTERVAL_MS = 60_000;

type Measure = () => ResultAsync<number, unknown> | undefined;

async function total(measures: readonly Measure[]): Promise<number | undefined> {
  const runs = measures.map((m) => m()).filter((r) => r !== undefined);
  if (runs.length === 0) return undefined;
  // A figure that cannot be measured makes the sum unknown, not smaller.
  const all = await ResultAsync.combine(runs.map((r) => r.orElse(() => okAsync(Number.NaN))));
  return all.match(
    (bytes) => (bytes.some(Number.isNaN) ? undefined : bytes.reduce((a, b) => a + b, 0)),
    () => undefined,
  );
}

/**
 * Returns `refresh()`: after a sync, measures the cache (`source.diskUsage`, when the source has
 * one) and every target's releases (`target.diskUsage`) unless a measurement is under way or was
 * taken less than `intervalMs` ago, and hands the figures to `report`. Never throws, never blocks
 * a sync: a figure that cannot be measured is left out.
 */
export function diskUsageReporter(options: {
  readonly source: WatchSource;
  readonly targets: readonly WatchTarget[];
  readonly report: (usage: NodeDiskUsage) => void;
  readonly intervalMs?: number;
}): () => Promise<void> {
  const interval = options.intervalMs ?? DISK_USAGE_INTERVAL_MS;
  let last = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  const measure = async () => {
    const [cacheBytes, releasesBytes] = await Promise.all([
      total([() => options.source.diskUsage?.()]),
      total(options.targets.map((t) => () => t.target.diskUsage?.())),
    ]);
    options.report({
      ...(cacheBytes !== undefined && { cacheBytes }),
      ...(releasesBytes !== undefined && { releasesBytes }),
      measuredAt: new Date().toISOString(),
    });
  };
  return () => {
    if (running) return running;
    if (performance.now() - last < interval) return Promise.resolve();
    last = performance.now();
    running = measure()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}
