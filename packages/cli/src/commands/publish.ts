import {
  DEFAULT_KEEP,
  openGitSource,
  publishCommit,
  type GitAuthCallback,
  type PublishReport,
} from '@berth/core';
import type { Command } from 'commander';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import type { CliFailure } from '../failure';
import { collectLabel, parsePositiveInt } from '../options/parsers';
import { ENV, isFailure, readCredentials } from '../options/secrets';
import { formatBytes } from '../render/progress';
import { showPublish } from '../render/publish-progress';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';
import { chooseTarget, type ChosenTarget, type TargetOptions } from './publish-target';

interface PublishOptions extends TargetOptions {
  readonly repo: string;
  readonly ref: string;
  readonly subdir?: string;
  readonly keep?: number;
  readonly keepHelper?: boolean;
  readonly cacheDir?: string;
  readonly gitUser?: string;
  readonly passwordStdin?: boolean;
  readonly passwordFile?: string;
}

export function registerPublish(program: Command, runner: Runner): void {
  program
    .command('publish')
    .summary('publish a git commit into a data container or directory, atomically')
    .description(
      "publish a git commit's tree into a data container's volume (or a directory), atomically: readers see the old tree or the new one",
    )
    .requiredOption(
      '--repo <url>',
      'the repository: http(s):// (credentials: --git-user), ssh://[user@]host[:port]/path or user@host:path (keys: ~/.ssh, SSH_AUTH_SOCK, BERTH_SSH_KEY)',
    )
    .option('--ref <ref>', 'a branch, tag or full commit SHA', 'HEAD')
    .option('--container <name>', 'the data container to publish into (with --path)')
    .option('--path <path>', "the container's volume to publish into, e.g. /www")
    .option('--dir <directory>', 'publish into a local directory instead (the same layout)')
    .option('--subdir <dir>', 'publish only this folder of the repository, e.g. site/')
    .option('--keep <n>', `releases to keep (default ${DEFAULT_KEEP})`, parsePositiveInt)
    .option(
      '--nginx <container>',
      'check the staged config with nginx -t in this container, reload it after the swap',
    )
    .option(
      '--nginx-config <file>',
      'the main file in a release of the configuration',
      'nginx.conf',
    )
    .option(
      '--mount-path <path>',
      'where the target is mounted in the nginx container (default: --path, or --dir)',
    )
    .option(
      '--exec-in <container>',
      'run the file operations in this running container instead of a helper',
    )
    .option('--keep-helper', 'leave the helper container running for the next publish')
    .option(
      '--label <key=value>',
      'an extra label for the helper container (repeatable)',
      collectLabel,
    )
    .option(
      '--cache-dir <dir>',
      'where fetched git objects are kept (default: a folder per URL in the temp dir)',
    )
    .option(
      '--git-user <name>',
      `git user name (or ${ENV.gitUser}); the password from --password-stdin or ${ENV.gitPassword}`,
    )
    .option('--password-stdin', 'read the git password (or token) from standard input')
    .option('--password-file <file>', 'read the git password (or token) from this file')
    .addHelpText(
      'after',
      examples([
        'berth publish --repo https://git.example.com/site.git --ref main --container www-content --path /www',
        'berth publish --repo https://git.example.com/site.git --ref v42 --container www-content --path /www --subdir site/ --keep 3',
        'berth publish --repo https://git.example.com/nginx-conf.git --ref main --container www-content --path /etc/nginx --nginx web',
        'berth publish --repo https://git.example.com/site.git --ref main --dir /www',
        'BERTH_SSH_KEY=/keys/deploy_ed25519 berth publish --repo git@git.example.com:team/site.git --ref main --dir /www',
        'printf %s "$GIT_TOKEN" | berth publish --repo https://git.example.com/private.git --git-user ci --password-stdin --container www-content --path /www',
      ]),
    )
    .action((options: PublishOptions, command: Command) =>
      runner.execute(command, (context) => publish(context, options)),
    );
}

function gitAuth(
  context: CommandContext,
  options: PublishOptions,
): ResultAsync<GitAuthCallback | undefined, CliFailure> {
  return ResultAsync.fromSafePromise(
    readCredentials(
      context.io,
      {
        user: options.gitUser,
        passwordStdin: options.passwordStdin,
        passwordFile: options.passwordFile,
      },
      { userVar: ENV.gitUser, passwordVar: ENV.gitPassword, userFlag: '--git-user' },
    ),
  ).andThen((found) => {
    if (isFailure(found)) return errAsync(found);
    return okAsync(found ? () => found : undefined);
  });
}

function publish(context: CommandContext, options: PublishOptions) {
  const timeoutMs = context.globals.timeoutMs;
  const deadline = context.deadline(`publish ${options.ref}`);
  const line = context.progress();
  return gitAuth(context, options)
    .andThen((auth) =>
      openGitSource({
        url: options.repo,
        ...(auth && { auth }),
        ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
        ...(timeoutMs !== undefined && { timeoutMs }),
      }),
    )
    .andThen((source) =>
      chooseTarget(context, options, timeoutMs).andThen((chosen) =>
        closing(context, chosen, options, () =>
          publishCommit({
            source,
            commit: options.ref,
            target: chosen.target,
            mountPath: chosen.mountPath,
            ...(options.subdir !== undefined && { subdir: options.subdir }),
            ...(options.keep !== undefined && { keep: options.keep }),
            ...(chosen.beforeActivate && { beforeActivate: chosen.beforeActivate }),
            ...(chosen.afterActivate && { afterActivate: chosen.afterActivate }),
            ...(deadline.signal && { signal: deadline.signal }),
            onProgress: showPublish(line),
          }),
        ),
      ),
    )
    .mapErr(deadline.explain)
    .map(({ report, target }): Report => ({
      // `previous` is null on a first publish: JSON would drop an undefined field.
      document: { target, ...report, previous: report.previous ?? null },
      text: publishedText(report, target),
    }));
}

/** Publishes, then frees the helper container (unless --keep-helper), whatever happened. */
function closing(
  context: CommandContext,
  chosen: ChosenTarget,
  options: PublishOptions,
  work: () => ResultAsync<PublishReport, CliFailure>,
): ResultAsync<{ report: PublishReport; target: string }, CliFailure> {
  const done = async () => {
    try {
      const published = await work();
      return published.map((report) => ({ report, target: chosen.target.description }));
    } finally {
      if (!options.keepHelper) {
        const closed = await chosen.target.close();
        if (closed.isErr()) context.note(`note: ${closed.error.kind}: ${closed.error.message}`);
      }
    }
  };
  return new ResultAsync(done());
}

function publishedText(report: PublishReport, target: string): string {
  if (report.unchanged) return `${report.commit} is already active in ${target}: nothing to do\n`;
  const { added, modified, deleted } = report.changed;
  const lines = [
    `published ${report.commit} into ${target} in ${report.durationMs} ms`,
    `  ${added.length} added, ${modified.length} modified, ${deleted.length} deleted; ${formatBytes(report.bytesSent)} sent`,
    `  previous release: ${report.previous ?? 'none'}`,
    ...report.gitlinks.map((g) => `  submodule ${g.path} (${g.commit}) was not published`),
  ];
  return `${lines.join('\n')}\n`;
}
