import {
  announceRevision,
  normalizeKey,
  waitForConvergence,
  type CarryReport,
  type EtcdConnection,
  type NodeStatus,
} from '@berth/core';
import type { Command } from 'commander';
import type { ResultAsync } from 'neverthrow';
import { errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import type { CliFailure } from '../failure';
import { fleetOptions, waitOptions } from '../options/fleet-options';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';
import { deployText, type DeployOutcome, type NodeRow } from './deploy-text';

export interface DeployOptions {
  readonly key: string;
  readonly commit: string;
  readonly ref?: string;
  readonly by?: string;
  readonly carry?: string;
  readonly wait?: boolean;
  readonly minNodes?: number;
  readonly statusPrefix?: string;
  readonly etcdEndpoints?: readonly string[];
}

const DEFAULT_WAIT_MS = 60_000;

export function registerDeploy(program: Command, runner: Runner): void {
  const command = program
    .command('deploy')
    .summary('announce a commit through etcd and wait for the nodes to serve it')
    .description(
      'announce a commit on an etcd key (every watching node publishes it) and, with --wait, wait until the nodes serve it',
    )
    .requiredOption(
      '--key <key>',
      'the etcd key the nodes watch, e.g. cdn/site (leading, trailing and doubled slashes do not count)',
    )
    .requiredOption('--commit <sha>', 'the full commit SHA to serve')
    .option('--ref <ref>', 'the ref it was built from, for the record')
    .option('--by <who>', 'who announces it, e.g. jenkins#1234')
    .option(
      '--carry <repository dir>',
      'carry the change in etcd from this checkout (a thin pack against the commit announced before, at most 512 KiB): nodes holding that commit publish without fetching from the origin',
    );
  fleetOptions(waitOptions(command, 'the commit'))
    .addHelpText(
      'after',
      examples([
        'berth deploy --key /cdn/site --commit "$GIT_COMMIT"',
        'berth deploy --key /cdn/site --commit "$GIT_COMMIT" --ref main --by "jenkins#$BUILD_NUMBER" --wait --min-nodes 3 --timeout 2m',
        'berth deploy --key /cdn/site --commit "$GIT_COMMIT" --wait --json --etcd-endpoints http://10.0.0.5:2379,http://10.0.0.6:2379',
        'berth deploy --key /cdn/site --commit "$GIT_COMMIT" --carry "$WORKSPACE" --wait',
      ]) +
        '\n\nWith --wait it exits 1 when nodes still lag at the timeout (the table says which, and why),\nand 3 when etcd cannot be reached.',
    )
    .action((options: DeployOptions, command: Command) =>
      runner.execute(command, (context) => deploy(context, options)),
    );
}

function deploy(context: CommandContext, options: DeployOptions) {
  return context
    .withEtcd(options.etcdEndpoints, (etcd) => announceAndWait(context, etcd, options))
    .map((outcome): Report => ({
      document: { ...outcome },
      text: deployText(outcome),
      problem: outcome.wait !== undefined && !outcome.wait.converged,
    }));
}

export function announceAndWait(
  context: CommandContext,
  etcd: EtcdConnection,
  options: DeployOptions,
): ResultAsync<DeployOutcome, CliFailure> {
  const signal = context.io.signal;
  const announcement = {
    commit: options.commit,
    ...(options.ref !== undefined && { ref: options.ref }),
    ...(options.by !== undefined && { by: options.by }),
  };
  const call = signal ? { signal } : {};
  const announced: ResultAsync<{ revision: number; carried?: CarryReport }, CliFailure> =
    options.carry === undefined
      ? announceRevision(etcd, options.key, announcement, call).map((revision) => ({ revision }))
      : announceRevision(etcd, options.key, announcement, {
          ...call,
          carry: { repository: options.carry },
        });
  return announced.andThen(({ revision, carried }) => {
    // The key as the nodes watch it: `/cdn/site` and `cdn/site` are one key.
    const key = normalizeKey(options.key).unwrapOr(options.key);
    const announced = {
      key,
      commit: options.commit.toLowerCase(),
      revision,
      ...(carried && { carried }),
    };
    if (!options.wait) return okAsync<DeployOutcome, CliFailure>(announced);
    const timeoutMs = context.globals.timeoutMs ?? DEFAULT_WAIT_MS;
    const minNodes = options.minNodes ?? 1;
    context.note(
      `announced ${announced.commit} at revision ${revision}; waiting for ${minNodes === 1 ? 'the nodes' : `${minNodes} nodes`}…`,
    );
    return waitForConvergence(etcd, options.key, {
      commit: options.commit,
      // A node counts once it applied this announcement: a status from before it is no answer.
      fromRevision: revision,
      minNodes,
      timeoutMs,
      ...(signal && { signal }),
      ...(options.statusPrefix !== undefined && { statusPrefix: options.statusPrefix }),
    })
      .map((statuses): DeployOutcome => ({
        ...announced,
        wait: { converged: true, minNodes, timeoutMs, nodes: statuses.map(nodeRow) },
      }))
      .orElse((failure) => {
        if (failure.kind !== 'ConvergenceTimeout') return errAsync(failure);
        const nodes: NodeRow[] = [
          ...failure.converged.map((nodeId) => ({
            nodeId,
            commit: announced.commit,
            healthy: true,
            serving: true,
          })),
          ...failure.lagging.map((l) => ({
            nodeId: l.nodeId,
            commit: l.commit,
            healthy: l.healthy,
            serving: false,
            ...(l.error && { error: l.error }),
          })),
        ];
        return okAsync<DeployOutcome, CliFailure>({
          ...announced,
          wait: { converged: false, minNodes, timeoutMs, nodes, reason: failure.message },
        });
      });
  });
}

function nodeRow(status: NodeStatus): NodeRow {
  return {
    nodeId: status.nodeId,
    commit: status.commit,
    healthy: status.healthy,
    serving: true,
    ...(status.updatedAt && { updatedAt: status.updatedAt }),
    ...(status.error && { error: status.error }),
  };
}
