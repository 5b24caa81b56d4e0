import type { CarryReport } from '@berth/core';
import { table } from '../render/table';

/** One node as `deploy --wait` reports it. */
export interface NodeRow {
  readonly nodeId: string;
  readonly commit: string | undefined;
  readonly healthy: boolean;
  /** It serves the announced commit. */
  readonly serving: boolean;
  readonly updatedAt?: string;
  readonly error?: { readonly kind: string; readonly message: string };
}

export interface DeployOutcome {
  readonly key: string;
  readonly commit: string;
  /** The etcd revision of the announcement. */
  readonly revision: number;
  /** Present with --carry: whether the change went into etcd with the announcement, or why not. */
  readonly carried?: CarryReport;
  /** Present with --wait. */
  readonly wait?: {
    readonly converged: boolean;
    readonly minNodes: number;
    readonly timeoutMs: number;
    readonly nodes: readonly NodeRow[];
    /** Why it did not converge. */
    readonly reason?: string;
  };
}

export function deployText(outcome: DeployOutcome): string {
  const carried = outcome.carried;
  const carry =
    carried === undefined
      ? ''
      : carried.carried
        ? `carried the change from ${carried.base.slice(0, 12)} in etcd (${carried.bytes} bytes, ${carried.objects} objects, expires in ${carried.ttlSeconds} s)\n`
        : `nothing carried (${carried.reason}): ${carried.message}\n`;
  const head = `announced ${outcome.commit} on ${outcome.key} (etcd revision ${outcome.revision})\n${carry}`;
  const wait = outcome.wait;
  if (!wait) return head;
  const rows = wait.nodes.map((n) => [
    n.nodeId,
    n.commit?.slice(0, 12) ?? '(nothing yet)',
    n.serving ? 'yes' : 'LAGGING',
    n.healthy ? 'yes' : 'no',
    n.error ? `${n.error.kind}: ${n.error.message}` : '',
  ]);
  const nodes =
    rows.length > 0
      ? table(['node', 'commit', 'serving', 'healthy', 'last error'], rows)
      : 'no live node reported a status\n';
  const lagging = wait.nodes.filter((n) => !n.serving).length;
  const verdict = wait.converged
    ? wait.nodes.length === 1
      ? `the 1 live node serves ${outcome.commit.slice(0, 12)}\n`
      : `all ${wait.nodes.length} live nodes serve ${outcome.commit.slice(0, 12)}\n`
    : `not converged within ${wait.timeoutMs} ms: ${lagging} node${lagging === 1 ? '' : 's'} lagging${wait.nodes.length < wait.minNodes ? `, ${wait.nodes.length} of ${wait.minNodes} required nodes live` : ''}\n`;
  return head + nodes + verdict;
}
