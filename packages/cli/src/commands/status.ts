import { readFleetStatus, type FleetStatus, type NodeStatus } from '@berth/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { formatBytes } from '../render/progress';
import { fleetOptions } from '../options/fleet-options';
import { table } from '../render/table';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';

interface StatusOptions {
  readonly key: string;
  readonly statusPrefix?: string;
  readonly etcdEndpoints?: readonly string[];
}

/** One node as `status` reports it (the `--json` rows). */
export interface StatusRow {
  readonly nodeId: string;
  /** null before its first publish. */
  readonly commit: string | null;
  /** It serves what the key announces. */
  readonly current: boolean;
  /** Since when it serves `commit` (ISO 8601). */
  readonly since: string | null;
  readonly healthy: boolean;
  readonly error: { readonly kind: string; readonly message: string } | null;
  /** Announcement reaching the node → every target serving it, for its last sync, in ms. */
  readonly propagationMs: number | null;
  /** How the commit reached the node: `carried`, `shared`, `origin` or `cache`; null if unknown. */
  readonly path: NonNullable<NodeStatus['path']> | null;
  /** `waiting` while the node waits for a target's container to exist, else `active`. */
  readonly state: 'active' | 'waiting';
  /** The container it waits for, while `state` is `waiting`. */
  readonly waitingFor: string | null;
  /** The disk its git cache and releases take, as it last measured them; null if unknown. */
  readonly diskUsage: NonNullable<NodeStatus['diskUsage']> | null;
  /** When the node last wrote its status. */
  readonly updatedAt: string;
}

export function registerStatus(program: Command, runner: Runner): void {
  const command = program
    .command('status')
    .summary('show the fleet behind a key: what each node serves, since when, its health')
    .description(
      'read-only: what the key announces and, for every live node, the commit it serves, since when, whether it is healthy, how the commit reached it, its last error and how long its last sync took',
    )
    .requiredOption('--key <key>', 'the etcd key the nodes watch, e.g. cdn/site');
  fleetOptions(command)
    .addHelpText(
      'after',
      examples([
        'berth status --key cdn/site',
        "berth status --key cdn/site --json | jq -r '.nodes[] | select(.current | not) | .nodeId'",
      ]) +
        '\n\nExits 1 when a live node is unhealthy or does not serve the announced commit, or when\nsomething is announced and no node is live; 0 when every live node serves it.',
    )
    .action((options: StatusOptions, command: Command) =>
      runner.execute(command, (context) => status(context, options)),
    );
}

function status(context: CommandContext, options: StatusOptions) {
  const deadline = context.deadline(`read the fleet of ${options.key}`);
  return context
    .withEtcd(options.etcdEndpoints, (etcd) =>
      readFleetStatus(etcd, options.key, {
        ...(deadline.signal && { signal: deadline.signal }),
        ...(context.globals.timeoutMs !== undefined && { timeoutMs: context.globals.timeoutMs }),
        ...(options.statusPrefix !== undefined && { statusPrefix: options.statusPrefix }),
      }),
    )
    .mapErr(deadline.explain)
    .map(statusReport);
}

function row(node: NodeStatus, announced: string | undefined): StatusRow {
  return {
    nodeId: node.nodeId,
    commit: node.commit ?? null,
    current: announced !== undefined && node.commit === announced,
    since: node.activeSince ?? null,
    healthy: node.healthy,
    error: node.error ?? null,
    propagationMs: node.lastSyncMs ?? null,
    path: node.path ?? null,
    state: node.state ?? (node.waiting ? 'waiting' : 'active'),
    waitingFor: node.waiting?.container ?? null,
    diskUsage: node.diskUsage ?? null,
    updatedAt: node.updatedAt,
  };
}

/** The cache and the releases, as the node measured them: `12.0 MB (cache 3.1 MB)`. */
function diskText(usage: StatusRow['diskUsage']): string {
  if (!usage) return '-';
  const { cacheBytes, releasesBytes } = usage;
  if (cacheBytes === undefined && releasesBytes === undefined) return '-';
  const total = (cacheBytes ?? 0) + (releasesBytes ?? 0);
  return cacheBytes !== undefined
    ? `${formatBytes(total)} (cache ${formatBytes(cacheBytes)})`
    : formatBytes(total);
}

export function statusReport(fleet: FleetStatus): Report {
  const announced = fleet.announced?.commit;
  const nodes = fleet.nodes.map((node) => row(node, announced));
  const problems = nodes.filter((n) => !n.healthy || (announced !== undefined && !n.current));
  const problem = problems.length > 0 || (announced !== undefined && nodes.length === 0);
  const head = fleet.announced
    ? `${fleet.key} announces ${announced ?? fleet.announced.revision}${fleet.announced.by ? ` (by ${fleet.announced.by})` : ''}${fleet.announcedRevision !== undefined ? ` at etcd revision ${fleet.announcedRevision}` : ''}\n`
    : `${fleet.key} announces nothing${fleet.announcedRevision !== undefined ? ' readable (its value is not an announcement)' : ''}\n`;
  const body =
    nodes.length > 0
      ? table(
          ['node', 'commit', 'since', 'healthy', 'path', 'propagation', 'disk', 'last error'],
          nodes.map((n) => [
            n.nodeId,
            n.waitingFor !== null && n.commit === null
              ? `(waiting for container ${n.waitingFor})`
              : `${n.commit?.slice(0, 12) ?? '(nothing yet)'}${announced !== undefined && !n.current ? ' LAGGING' : ''}`,
            n.since ?? '-',
            n.healthy ? 'yes' : 'no',
            n.path ?? '-',
            n.propagationMs !== null ? `${Math.round(n.propagationMs)} ms` : '-',
            diskText(n.diskUsage),
            n.waitingFor !== null ? '' : n.error ? `${n.error.kind}: ${n.error.message}` : '',
          ]),
        )
      : 'no live node reported a status\n';
  const verdict =
    nodes.length === 0
      ? ''
      : problems.length === 0
        ? `${nodes.length} live node${nodes.length === 1 ? '' : 's'}${announced !== undefined ? `, all serving ${announced.slice(0, 12)}` : ''}\n`
        : `${problems.length} of ${nodes.length} live node${nodes.length === 1 ? '' : 's'} unhealthy or lagging\n`;
  return {
    document: {
      key: fleet.key,
      announced: fleet.announced ?? null,
      announcedRevision: fleet.announcedRevision ?? null,
      nodes,
    },
    text: head + body + verdict,
    // -q: the live nodes' ids, one per line, like `docker ps -q`.
    ids: nodes.map((n) => n.nodeId),
    problem,
  };
}
