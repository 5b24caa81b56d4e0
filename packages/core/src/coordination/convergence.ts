// What Jenkins waits on after announceRevision: every live node serving the commit.
import { ResultAsync, err, errAsync, ok, type Result } from 'neverthrow';
import { berthError, type AbortedError, type InvalidInputError } from '../errors';
import { isFullSha } from './announcement';
import { interruptibleSleep } from './backoff';
import type { EtcdConnection } from './etcd';
import type { EtcdFailure } from './etcd-failure';
import { normalizeKey } from './etcd-key';
import { getPrefix } from './etcd-kv';
import {
  checkStatusPrefix,
  decodeStatus,
  defaultStatusPrefix,
  type NodeStatus,
} from './node-status';
import { coordinationError, type ConvergenceTimeoutError } from './watch-errors';

/** What to wait for, and for how long. */
export interface WaitForConvergenceOptions {
  /** The full SHA every node must serve. */
  readonly commit: string;
  /** Live nodes needed before the fleet counts as converged. Default 1. */
  readonly minNodes?: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** The watchers' status prefix. Default `berth/status/<key>/`, as `watchAndPull`'s. */
  readonly statusPrefix?: string;
  /** How often the statuses are read. Default 100 ms. */
  readonly pollMs?: number;
  /**
   * The etcd revision of the announcement waited for (announceRevision's `revision`): a node
   * counts only once its status says it applied that announcement or a later one. Without it, a
   * status written before — the same commit announced again, a node still busy with (or backing
   * off from) an older announcement — passes for an answer.
   */
  readonly fromRevision?: number;
}

/** Everything `waitForConvergence` can fail with. */
export type WaitForConvergenceError =
  ConvergenceTimeoutError | EtcdFailure | InvalidInputError | AbortedError;

/**
 * Serving the commit, with its after-swap hooks done (a failing reload is not served yet), and
 * having applied the announcement at `fromRevision` (or a later one) when that is given.
 */
const converged = (status: NodeStatus, commit: string, fromRevision?: number) =>
  status.commit === commit &&
  status.pendingHook === undefined &&
  (fromRevision === undefined || (status.revision ?? 0) >= fromRevision);

/** ", but has not applied revision N yet (at M)" for a node serving the commit from before. */
function revisionNote(
  lag: { readonly commit: string | undefined; readonly revision: number | undefined },
  commit: string,
  fromRevision?: number,
): string {
  if (fromRevision === undefined || lag.commit !== commit) return '';
  if ((lag.revision ?? 0) >= fromRevision) return '';
  return `, but has not applied revision ${fromRevision} yet (at ${lag.revision ?? 'none'})`;
}

/** ", but its afterActivate of <target> fails" for a node whose hook is being retried. */
function hookNote(live: readonly NodeStatus[], nodeId: string): string {
  const hook = live.find((s) => s.nodeId === nodeId)?.pendingHook;
  return hook ? `, but its ${hook.hook} of ${hook.target} fails (${hook.attempts} attempts)` : '';
}

function timeoutError(
  key: string,
  commit: string,
  options: WaitForConvergenceOptions,
  minNodes: number,
  live: readonly NodeStatus[],
): ConvergenceTimeoutError {
  const from = options.fromRevision;
  const lagging = live
    .filter((s) => !converged(s, commit, from))
    .map((s) => ({
      nodeId: s.nodeId,
      commit: s.commit,
      revision: s.revision,
      healthy: s.healthy,
      error: s.error ?? s.pendingHook?.error,
    }));
  const done = live.filter((s) => converged(s, commit, from)).map((s) => s.nodeId);
  const why = [
    ...(live.length < minNodes ? [`${live.length} live nodes of ${minNodes} required`] : []),
    ...lagging.map(
      (l) =>
        `${l.nodeId} serves ${l.commit?.slice(0, 12) ?? 'nothing'}${revisionNote(l, commit, from)}${hookNote(live, l.nodeId)}${l.error ? ` (${l.error.kind}: ${l.error.message})` : ''}`,
    ),
  ];
  return coordinationError.convergenceTimeout({
    key,
    commit,
    timeoutMs: options.timeoutMs,
    minNodes,
    converged: done,
    lagging,
    message: `not every node served ${commit.slice(0, 12)} within ${options.timeoutMs} ms: ${why.join('; ')}`,
  });
}

/**
 * Waits until at least `minNodes` nodes are live under the status prefix and every live node
 * serves `commit`; answers their statuses. On timeout: `ConvergenceTimeout`, naming the nodes
 * that lag and their last errors. A node that died drops out when its status lease expires.
 */
export function waitForConvergence(
  etcd: EtcdConnection,
  givenKey: string,
  options: WaitForConvergenceOptions,
): ResultAsync<readonly NodeStatus[], WaitForConvergenceError> {
  const normalized = normalizeKey(givenKey);
  if (normalized.isErr()) return errAsync(normalized.error);
  const key = normalized.value;
  const commit = typeof options?.commit === 'string' ? options.commit.toLowerCase() : '';
  const minNodes = options?.minNodes ?? 1;
  const invalid = (field: string, message: string) =>
    errAsync(berthError.invalidInput({ field, message }));
  if (!isFullSha(commit)) return invalid('commit', 'commit must be a full commit SHA');
  if (!Number.isInteger(minNodes) || minNodes < 1)
    return invalid('minNodes', 'minNodes must be a positive integer');
  if (!(options.timeoutMs > 0)) return invalid('timeoutMs', 'timeoutMs must be a positive number');
  const prefix = checkStatusPrefix(key, options.statusPrefix ?? defaultStatusPrefix(key));
  if (prefix.isErr()) return errAsync(prefix.error);
  const pollMs = options.pollMs ?? 100;
  const from = options.fromRevision;
  if (from !== undefined && !(Number.isInteger(from) && from > 0))
    return invalid('fromRevision', 'fromRevision must be a positive integer (an etcd revision)');

  const wait = async (): Promise<Result<readonly NodeStatus[], WaitForConvergenceError>> => {
    const deadline = performance.now() + options.timeoutMs;
    let live: NodeStatus[] | undefined;
    let lastFailure: EtcdFailure | undefined;
    for (;;) {
      if (options.signal?.aborted) {
        return err(
          berthError.aborted({
            operation: 'waitForConvergence',
            message: 'waitForConvergence was aborted',
          }),
        );
      }
      const left = deadline - performance.now();
      const read = await getPrefix(etcd, prefix.value, {
        timeoutMs: Math.max(1, Math.min(left, 5_000)),
        signal: options.signal,
      });
      if (read.isOk()) {
        live = read.value.kvs.flatMap((kv) => decodeStatus(kv.value) ?? []);
        if (live.length >= minNodes && live.every((s) => converged(s, commit, from)))
          return ok(live);
      } else if (read.error.kind === 'Aborted') {
        return err(read.error);
      } else {
        lastFailure = read.error;
      }
      if (performance.now() + pollMs > deadline) {
        return err(
          live || !lastFailure
            ? timeoutError(key, commit, options, minNodes, live ?? [])
            : lastFailure,
        );
      }
      await interruptibleSleep(pollMs, options.signal).done;
    }
  };
  return new ResultAsync(wait());
}
