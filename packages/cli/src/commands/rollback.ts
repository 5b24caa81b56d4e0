import {
  readAnnouncementHistory,
  type AnnouncementHistory,
  type EtcdConnection,
} from '@berth/core';
import type { Command } from 'commander';
import type { ResultAsync } from 'neverthrow';
import { errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import { usageFailure, type CliFailure } from '../failure';
import { fleetOptions, waitOptions } from '../options/fleet-options';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';
import { announceAndWait } from './deploy';
import { deployText, type DeployOutcome } from './deploy-text';

interface RollbackOptions {
  readonly key: string;
  readonly to?: string;
  readonly by?: string;
  readonly wait?: boolean;
  readonly minNodes?: number;
  readonly statusPrefix?: string;
  readonly etcdEndpoints?: readonly string[];
}

/** How far back in the key's etcd history a rollback looks for an earlier commit. */
const HISTORY_DEPTH = 50;

export function registerRollback(program: Command, runner: Runner): void {
  const command = program
    .command('rollback')
    .summary('announce the commit the key named before (or --to a named one)')
    .description(
      "announce the commit the key announced before the current one (from etcd's history of the key), or the commit given with --to; with --wait, wait until the nodes serve it",
    )
    .requiredOption('--key <key>', 'the etcd key the nodes watch, e.g. cdn/site')
    .option(
      '--to <sha>',
      'the commit to go back to: a full SHA, or an abbreviated one the key announced before',
    )
    .option('--by <who>', 'who rolls back, e.g. jenkins#1234');
  fleetOptions(waitOptions(command, 'it'))
    .addHelpText(
      'after',
      examples([
        'berth rollback --key cdn/site --wait',
        'berth rollback --key cdn/site --to 9c1b07d4 --by "jenkins#$BUILD_NUMBER" --wait --min-nodes 3 --timeout 2m',
      ]) +
        "\n\nWithout --to it announces the newest earlier value of the key that names another commit;\ntwo rollbacks in a row go back and forth, like `cd -`. etcd keeps the history its compaction\nleaves: when the earlier commit was compacted away, name it with --to. Exit codes as deploy's.",
    )
    .action((options: RollbackOptions, command: Command) =>
      runner.execute(command, (context) => rollback(context, options)),
    );
}

/** The commits the key named, newest first, once each. */
function pastCommits(history: AnnouncementHistory): string[] {
  return [...new Set(history.entries.flatMap((entry) => entry.announcement?.commit ?? []))];
}

/** The commit to announce: `--to` (a full SHA, or a unique prefix of one the key named), or the one before. */
export function chooseTarget(
  history: AnnouncementHistory,
  to: string | undefined,
): { readonly from: string | undefined; readonly to: string } | CliFailure {
  const current = history.entries[0]?.announcement?.commit;
  const commits = pastCommits(history);
  if (to !== undefined) {
    const wanted = to.trim().toLowerCase();
    if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(wanted)) return { from: current, to: wanted };
    if (!/^[0-9a-f]{4,63}$/.test(wanted)) {
      return usageFailure(`--to "${to}" is not a commit SHA`, 'to');
    }
    const matches = commits.filter((commit) => commit.startsWith(wanted));
    if (matches.length === 1 && matches[0]) return { from: current, to: matches[0] };
    return usageFailure(
      matches.length === 0
        ? `--to ${to}: ${history.key} never announced a commit starting so (in the history etcd kept): give the full SHA`
        : `--to ${to} is ambiguous: ${matches.map((c) => c.slice(0, 12)).join(', ')}`,
      'to',
    );
  }
  const previous = commits.find((commit) => commit !== current);
  if (previous) return { from: current, to: previous };
  return usageFailure(
    history.entries.length === 0
      ? `${history.key} announces nothing: there is nothing to roll back; use berth deploy`
      : `${history.key} announced no other commit before ${current?.slice(0, 12) ?? 'this value'}${history.truncated ? ' in the history etcd kept (older revisions were compacted)' : ''}: name the commit with --to`,
    'to',
  );
}

function rollback(context: CommandContext, options: RollbackOptions) {
  return context
    .withEtcd(options.etcdEndpoints, (etcd) => rollbackOn(context, etcd, options))
    .map(({ from, outcome }): Report => ({
      document: { ...outcome, from: from ?? null },
      text: `rolling ${outcome.key} back from ${from?.slice(0, 12) ?? 'nothing'} to ${outcome.commit.slice(0, 12)}\n${deployText(outcome)}`,
      problem: outcome.wait !== undefined && !outcome.wait.converged,
    }));
}

function rollbackOn(
  context: CommandContext,
  etcd: EtcdConnection,
  options: RollbackOptions,
): ResultAsync<{ from: string | undefined; outcome: DeployOutcome }, CliFailure> {
  const signal = context.io.signal;
  return readAnnouncementHistory(etcd, options.key, {
    limit: HISTORY_DEPTH,
    ...(signal && { signal }),
  })
    .mapErr((failure): CliFailure => failure)
    .andThen((history) => {
      const target = chooseTarget(history, options.to);
      if ('kind' in target) return errAsync(target);
      return okAsync(target);
    })
    .andThen(({ from, to }) =>
      announceAndWait(context, etcd, {
        key: options.key,
        commit: to,
        ...(options.by !== undefined && { by: options.by }),
        ...(options.wait !== undefined && { wait: options.wait }),
        ...(options.minNodes !== undefined && { minNodes: options.minNodes }),
        ...(options.statusPrefix !== undefined && { statusPrefix: options.statusPrefix }),
      }).map((outcome) => ({ from, outcome })),
    );
}
