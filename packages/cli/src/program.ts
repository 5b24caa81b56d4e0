import type { Command } from 'commander';
import { CommanderError, Help, Option } from 'commander';
import { version } from '../package.json';
import { ExitCode } from './exit-codes';
import { thrownFailure, usageFailure } from './failure';
import type { CliIo } from './io';
import { EnvCommand } from './options/env';
import { parseDuration } from './options/parsers';
import { redactingIo } from './redact';
import { failureOutcome, writeOutcome } from './report';
import { createRunner, examples, type Runner } from './runner';

export { ExitCode } from './exit-codes';
export type { CliIo } from './io';

/** Adds one top-level command (with its subcommands) to the program. */
type Register = (program: Command, runner: Runner) => void;

/**
 * One line per top-level command. Only the command being run is loaded (its module, and the
 * libraries it needs): the others appear in `berth --help` by name, term and summary alone, so
 * `berth --help`, `--version` and a typo cost no more than commander. `term` and `summary` are
 * what the command's own registration shows (a test holds them equal).
 */
interface CommandEntry {
  readonly name: string;
  /** The command as `berth --help` lists it: name, `[options]`, arguments. */
  readonly term: string;
  readonly summary: string;
  readonly load: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'name',
    term: 'name [options] <ref...>',
    summary: 'print the names of containers given by id, id prefix or name',
    load: async () => (await import('./commands/name')).registerName,
  },
  {
    name: 'data-container',
    term: 'data-container',
    summary: 'create and remove data containers',
    load: async () => (await import('./commands/data-container')).registerDataContainer,
  },
  {
    name: 'publish',
    term: 'publish [options]',
    summary: 'publish a git commit into a data container or directory, atomically',
    load: async () => (await import('./commands/publish')).registerPublish,
  },
  {
    name: 'deploy',
    term: 'deploy [options]',
    summary: 'announce a commit through etcd and wait for the nodes to serve it',
    load: async () => (await import('./commands/deploy')).registerDeploy,
  },
  {
    name: 'watch',
    term: 'watch [options]',
    summary: 'run a CDN node: follow an etcd key and publish the commit it names',
    load: async () => (await import('./commands/watch')).registerWatch,
  },
  {
    name: 'status',
    term: 'status [options]',
    summary: 'show the fleet behind a key: what each node serves, since when, its health',
    load: async () => (await import('./commands/status')).registerStatus,
  },
  {
    name: 'rollback',
    term: 'rollback [options]',
    summary: 'announce the commit the key named before (or --to a named one)',
    load: async () => (await import('./commands/rollback')).registerRollback,
  },
  {
    name: 'verify',
    term: 'verify [options]',
    summary: 'check that a release holds exactly its commit’s files (exit 1 when damaged)',
    load: async () => (await import('./commands/verify')).registerVerify,
  },
  {
    name: 'probe',
    term: 'probe',
    summary: 'probe a registry or the storage driver for problems',
    load: async () => (await import('./commands/probe')).registerProbe,
  },
  {
    name: 'audit',
    term: 'audit [options] <image>',
    summary: 'list the build toolchains and package managers an image carries',
    load: async () => (await import('./commands/audit')).registerAudit,
  },
];

/** The program with its global options and help, and no commands yet. */
function rootProgram(io: CliIo, terms: ReadonlyMap<Command, string>, coreVersion: string): Command {
  return new EnvCommand('berth', io.env)
    .description(
      'Typed Docker data containers, git-to-volume publishing and etcd-driven CDN nodes.',
    )
    .version(`${version} (@berth/core ${coreVersion})`, '-V, --version', 'print the version')
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
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      // A command that was not loaded has no options or arguments to list: its entry says them.
      subcommandTerm: (command) => terms.get(command) ?? new Help().subcommandTerm(command),
    })
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
}

/**
 * The name of the command `argv` runs (`help x` asks for `x`), skipping the global options and
 * the values they take. Undefined when it names none.
 */
function commandNamed(program: Command, argv: readonly string[]): string | undefined {
  const takesValue = new Set(
    program.options
      .filter((option) => option.required || option.optional)
      .flatMap((option) => [option.long, option.short])
      .filter((flag): flag is string => flag !== undefined),
  );
  let asksForHelp = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return undefined;
    if (takesValue.has(arg)) i++;
    else if (arg === 'help' && !asksForHelp) asksForHelp = true;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The whole command line. With `argv`, only the command it names is loaded and the others are
 * listed by name; without, every command is loaded. `runner` receives the outcome of the command
 * that runs.
 */
export async function buildProgram(
  io: CliIo,
  runner: Runner = createRunner(io),
  argv?: readonly string[],
): Promise<Command> {
  const terms = new Map<Command, string>();
  // The library's version is read from the library only when it is to be printed.
  const asksForVersion =
    argv === undefined || argv.some((arg) => /^(--version|-[A-Za-z]*V[A-Za-z]*)$/.test(arg));
  const coreVersion = asksForVersion ? (await import('@berth/core')).BERTH_VERSION : '';
  const program = rootProgram(io, terms, coreVersion);
  const wanted = argv && commandNamed(program, argv);
  const registrations = await Promise.all(
    COMMANDS.map((entry) =>
      argv === undefined || entry.name === wanted ? entry.load() : Promise.resolve(undefined),
    ),
  );
  COMMANDS.forEach((entry, i) => {
    const register = registrations[i];
    if (register) register(program, runner);
    else {
      const listed = program
        .command(entry.name)
        .summary(entry.summary)
        .action(() => {
          throw new Error(`berth ${entry.name} ran without being loaded`);
        });
      terms.set(listed, entry.term);
    }
  });
  return program;
}

/** Whether the command line asks for `--json` (looked at when parsing it failed). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Runs the command line and returns the exit code; never calls `process.exit`. */
export async function run(argv: readonly string[], given: CliIo): Promise<number> {
  // From here on every write is redacted (redact.ts): no secret reaches stdout or stderr.
  const io = redactingIo(given);
  const runner = createRunner(io);
  const program = await buildProgram(io, runner, argv);
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
