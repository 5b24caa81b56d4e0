// `berth verify`: the full check of a release (every file re-hashed against the commit's blob
// ids), for an operator who wants to know that a node serves exactly what was announced.
import { openGitSource, verifyRelease, type CommitSource, type VerifyReport } from '@berth/core';
import type { Command } from 'commander';
import { ResultAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import type { CliFailure } from '../failure';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';
import { chooseTarget, type TargetOptions } from './publish-target';

interface VerifyOptions extends TargetOptions {
  readonly commit?: string;
  readonly repo?: string;
  readonly subdir?: string;
  readonly cacheDir?: string;
  readonly requireActive?: boolean;
}

export function registerVerify(program: Command, runner: Runner): void {
  program
    .command('verify')
    .summary('check that a release holds exactly its commit’s files (exit 1 when damaged)')
    .description(
      're-hash every file of a release (default: the active one) against the blob ids its manifest names; with --repo, also check that tree is the commit’s. Exit 1 when anything is missing, different or extra',
    )
    .option('--container <name>', 'the data container that holds the releases (with --path)')
    .option('--path <path>', "the container's volume, e.g. /www")
    .option('--dir <directory>', 'a local directory with the same layout')
    .option('--commit <sha>', 'the release to check (default: the active one)')
    .option('--repo <url>', "also compare with the commit's tree in this repository")
    .option('--subdir <dir>', 'the folder of the repository the release holds, e.g. site/')
    .option('--cache-dir <dir>', 'where fetched git objects are kept (with --repo)')
    .option('--exec-in <container>', 'run the checks in this running container instead of a helper')
    .option(
      '--require-active',
      'exit 1 unless the release checked is the active one too: with --commit, "this node serves exactly <sha>"',
    )
    .addHelpText(
      'after',
      examples([
        'berth verify --container www-content --path /www',
        'berth verify --dir /srv/www --commit 3f2a9c1b07d4e5f60718293a4b5c6d7e8f901234 --require-active --json',
        'berth verify --container www-content --path /www --repo https://git.example.com/site.git --subdir site/',
      ]),
    )
    .action((options: VerifyOptions, command: Command) =>
      runner.execute(command, (context) => verify(context, options)),
    );
}

function verify(context: CommandContext, options: VerifyOptions): ResultAsync<Report, CliFailure> {
  const timeoutMs = context.globals.timeoutMs;
  const source: ResultAsync<CommitSource | undefined, CliFailure> =
    options.repo === undefined
      ? okAsync(undefined)
      : openGitSource({
          url: options.repo,
          ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
          ...(timeoutMs !== undefined && { timeoutMs }),
        }).asyncMap((opened): Promise<CommitSource | undefined> => Promise.resolve(opened));
  return source.andThen((repo) =>
    chooseTarget(context, options, timeoutMs).andThen((chosen) => {
      const checked = async () => {
        try {
          return await verifyRelease({
            target: chosen.target,
            ...(options.commit !== undefined && { commit: options.commit }),
            ...(repo && { source: repo }),
            ...(options.subdir !== undefined && { subdir: options.subdir }),
          });
        } finally {
          void (await chosen.target.close());
        }
      };
      return new ResultAsync(checked()).map((report): Report => ({
        document: { target: chosen.target.description, ...withoutManifest(report) },
        text: verifiedText(report, chosen.target.description, options.requireActive === true),
        problem: !report.verified || (options.requireActive === true && !report.active),
      }));
    }),
  );
}

function withoutManifest(report: VerifyReport): Record<string, unknown> {
  const { manifest, ...rest } = report;
  return { ...rest, ...(manifest && { tree: manifest.tree }) };
}

function verifiedText(report: VerifyReport, target: string, requireActive: boolean): string {
  const which = `${report.commit}${report.active ? ' (active)' : ' (NOT the active release)'} in ${target}`;
  if (report.verified && !report.active && requireActive)
    return `NOT ACTIVE: ${which}: its ${report.files} files are intact, but it is not what ${target} serves\n`;
  if (report.verified)
    return `verified ${which}: ${report.files} files, tree ${report.manifest?.tree ?? '?'}\n`;
  const shown = report.problems.slice(0, 50);
  const more = report.problems.length - shown.length;
  return `${[
    `DAMAGED ${which}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`,
    ...shown.map((p) => `  ${p}`),
    ...(more > 0 ? [`  … and ${more} more`] : []),
  ].join('\n')}\n`;
}
