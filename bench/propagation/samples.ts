// One method's samples: total time from announceRevision to nginx serving, with its parts.
import { quantile } from '../lib/stats.ts';
import type { OriginLoad } from './origin.ts';

export interface Sample {
  readonly totalMs: number;
  /** Named parts of the total, in ms (notify, fetch, upload, swap, …). */
  readonly parts: Readonly<Record<string, number>>;
  /** Docker API requests made by this process for this update (berth's container target). */
  readonly dockerRequests?: readonly string[];
  /** What reached the git server for this update (all nodes of a fleet together). */
  readonly origin?: OriginLoad;
  /** The path each node's watcher took for this update (`origin`, `carried`, `shared`, `cache`). */
  readonly paths?: readonly string[];
  /** The carried value's size (pack and header), when the update was carried. */
  readonly carriedBytes?: number;
}

export interface MethodResult {
  readonly method: string;
  readonly samples: readonly Sample[];
}

export interface Summary {
  readonly method: string;
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Each part's median. */
  readonly parts: Readonly<Record<string, number>>;
  readonly dockerRequestsPerUpdate?: number;
  /** The Docker requests of the median update, e.g. `POST /containers/{id}/exec`. */
  readonly dockerRequestShapes?: readonly string[];
  /** Median upload-pack requests (advertisements + POSTs) at the git server per update. */
  readonly originRequestsPerUpdate?: number;
  /** The most upload-pack requests any one update made (a fallback to the origin shows here). */
  readonly originRequestsMax?: number;
  /** The most fetches any one update made. */
  readonly originFetchesMax?: number;
  /** Median carried value size, in bytes. */
  readonly carriedBytes?: number;
  /** Median fetches (ref advertisements) at the git server per update. */
  readonly originFetchesPerUpdate?: number;
  /** How many node-updates took each path, over all samples. */
  readonly paths?: Readonly<Record<string, number>>;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function summarise(result: MethodResult): Summary {
  const totals = result.samples.map((s) => s.totalMs);
  const names = [...new Set(result.samples.flatMap((s) => Object.keys(s.parts)))];
  const parts = Object.fromEntries(
    names.map((name) => [
      name,
      round(
        quantile(
          result.samples.map((s) => s.parts[name] ?? 0),
          0.5,
        ),
      ),
    ]),
  );
  const requests = result.samples.flatMap((s) =>
    s.dockerRequests ? [s.dockerRequests.length] : [],
  );
  const median = requests.length > 0 ? quantile(requests, 0.5) : undefined;
  const shapes = result.samples.find((s) => s.dockerRequests?.length === median)?.dockerRequests;
  const loads = result.samples.flatMap((s) => (s.origin ? [s.origin] : []));
  const carried = result.samples.flatMap((s) =>
    s.carriedBytes === undefined ? [] : [s.carriedBytes],
  );
  const paths: Record<string, number> = {};
  for (const path of result.samples.flatMap((s) => s.paths ?? []))
    paths[path] = (paths[path] ?? 0) + 1;
  return {
    method: result.method,
    n: totals.length,
    p50: round(quantile(totals, 0.5)),
    p95: round(quantile(totals, 0.95)),
    p99: round(quantile(totals, 0.99)),
    parts,
    ...(median !== undefined && { dockerRequestsPerUpdate: median }),
    ...(shapes && { dockerRequestShapes: shapes }),
    ...(loads.length > 0 && {
      originRequestsPerUpdate: quantile(
        loads.map((l) => l.requests),
        0.5,
      ),
      originRequestsMax: Math.max(...loads.map((l) => l.requests)),
      originFetchesMax: Math.max(...loads.map((l) => l.fetches)),
      originFetchesPerUpdate: quantile(
        loads.map((l) => l.fetches),
        0.5,
      ),
    }),
    ...(Object.keys(paths).length > 0 && { paths }),
    ...(carried.length > 0 && { carriedBytes: quantile(carried, 0.5) }),
  };
}

/** The percentile table, then the parts table, as plain text. */
export function formatSummaries(summaries: readonly Summary[]): string {
  const table = (header: string[], rows: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: readonly string[]) =>
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join(' | ');
    return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join(
      '\n',
    );
  };
  const totals = table(
    [
      'announce → nginx serves',
      'n',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'Docker requests/update',
      'origin requests/update (max)',
      'origin fetches/update',
      'paths taken',
      'carried bytes',
    ],
    summaries.map((s) => [
      s.method,
      String(s.n),
      s.p50.toFixed(1),
      s.p95.toFixed(1),
      s.p99.toFixed(1),
      s.dockerRequestsPerUpdate === undefined ? '-' : String(s.dockerRequestsPerUpdate),
      s.originRequestsPerUpdate === undefined
        ? '-'
        : `${s.originRequestsPerUpdate} (${s.originRequestsMax ?? '-'})`,
      s.originFetchesPerUpdate === undefined ? '-' : String(s.originFetchesPerUpdate),
      s.paths
        ? Object.entries(s.paths)
            .map(([path, n]) => `${path} ${n}`)
            .join(', ')
        : '-',
      s.carriedBytes === undefined ? '-' : String(s.carriedBytes),
    ]),
  );
  const partNames = [...new Set(summaries.flatMap((s) => Object.keys(s.parts)))];
  const parts = table(
    ['parts (median ms)', ...partNames],
    summaries
      .filter((s) => Object.keys(s.parts).length > 0)
      .map((s) => [
        s.method,
        ...partNames.map((p) => (s.parts[p] === undefined ? '-' : s.parts[p].toFixed(1))),
      ]),
  );
  return `${totals}\n\n${parts}`;
}
