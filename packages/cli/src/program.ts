import { CommanderError, Option, type Command } from 'commander';
import { BERTH_VERSION } from '@berth/core';
import { version } from '../package.json';
import { registerAudit } from './commands/audit';
import { registerDataContainer } from './commands/data-container';
import { registerDeploy } from './commands/deploy';
import { registerName } from './commands/name';
import { registerProbe } from './commands/probe';
import { registerPublish } from './commands/publish';
import { registerStatus } from './commands/status';
import { registerRollback } from './commands/rollback';
import { registerWatch } from './commands/watch';
import { registerVerify } from './commands/verify';
import { ExitCode } from './exit-codes';
import { thrownFailure, usageFailure } from './failure';
import type { CliIo } from './io';
import { EnvCommand } from './options/env';
import { parseDuration } from './options/parsers';
import { failureOutcome, writeOutcome } from './report';
import { createRunner, examples, type Runner } from './runner';

export { ExitCode } from './exit-codes';
export type { CliIo } from './io';

/** The whole command line; `runner` receives the outcome of the command that runs. */
export function buildProgram(io: CliIo, runner: Runner = createRunner(io)): Command {
  const program = new EnvCommand('berth', io.env)
    .description(
      'Typed Docker data containers, git-to-volume publishing and etcd-driven CDN nodes.',
    )
    .version(`${version} (@berth/core ${BERTH_VERSION})`, '-V, --version', 'print the version')
    .addOption(
      new Option(
        '--docker-host <url>',
        'the Docker engine (unix:///path, tcp://host:port, ssh://user@host); default DOCKER_HOST, the Docker context, then the sockets',
      ),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        'give up after this long (500ms, 30s, 2m); for deploy --wait: how long to wait for the nodes',
      ).argParser(parseDuration),
    )
    .option(
      '--json',
      'print exactly one JSON document on stdout (progress and errors go to stderr)',
    )
    .option(
      '-q, --quiet',
      "as docker's -q: only ids or names on stdout, one per line (data-container create/rm, status, name); no progress or notes on stderr (errors are still printed)",
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      [
        examples([
          'berth name 3f2a9c1b07d4',
          'berth data-container create www-content --image busybox:1.36 --volume /etc/nginx --volume /www',
          'berth publish --repo https://git.example.com/site.git --ref main --container www-content --path /www',
          'berth deploy --key /cdn/site --commit "$GIT_COMMIT" --wait --min-nodes 3 --timeout 2m',
          'berth probe registry registry.example.com --user ci --password-stdin < token.txt',
          'berth audit nginx:1.27 --json',
        ]),
        '',
        'Exit codes: 0 ok; 1 findings at or above --fail-on, or lagging nodes; 2 usage error;',
        '3 runtime failure ("kind: message" on stderr; with --json the document is {"error": {...}}).',
      ].join('\n'),
    );

  registerName(program, runner);
  registerDataContainer(program, runner);
  registerPublish(program, runner);
  registerDeploy(program, runner);
  registerWatch(program, runner);
  registerStatus(program, runner);
  registerRollback(program, runner);
  registerProbe(program, runner);
  registerAudit(program, runner);
  registerVerify(program, runner);
  return program;
}

/** Whether the command line asks for `--json` (looked at when parsing it failed). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Runs the command line and returns the exit code; never calls `process.exit`. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const runner = createRunner(io);
  const program = buildProgram(io, runner);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) {
      const outcome = failureOutcome(thrownFailure(error));
      writeOutcome(outcome, io, asksForJson(argv));
      return outcome.exitCode;
    }
    // --help and --version end parsing through the same path as a usage error.
    if (error.exitCode === 0) return ExitCode.ok;
    // Commander has printed the message; a script reading --json still gets its one document.
    if (asksForJson(argv)) {
      const message =
        error.code === 'commander.help'
          ? 'a subcommand is needed (add --help for the list)'
          : error.message.replace(/^error: /, '');
      io.stdout(`${JSON.stringify(failureOutcome(usageFailure(message)).document, null, 2)}\n`);
    }
    return ExitCode.usage;
  }
  const outcome = runner.outcome;
  if (!outcome) return ExitCode.ok;
  writeOutcome(outcome, io, runner.json);
  return outcome.exitCode;
}
