import { Command, CommanderError } from 'commander';
import { BERTH_VERSION } from '@berth/core';
import { version } from '../package.json';

/** Where the command writes: injected so tests and embedders can capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Exit codes, the same for every command. */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  failure: 3,
} as const;

export function buildProgram(io: CliIo): Command {
  const program = new Command('berth')
    .description(
      'Typed Docker data containers, git-to-volume publishing and etcd-driven CDN nodes.',
    )
    .version(`${version} (@berth/core ${BERTH_VERSION})`, '-V, --version', 'print the version')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run berth --help for usage)')
    .exitOverride()
    .addHelpText('after', ['', 'Examples:', '  $ berth --version', '  $ berth --help'].join('\n'));
  return program;
}

/** Runs the command line and returns the exit code; never calls `process.exit`. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end parsing through the same path as a usage error.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    io.stderr(`berth: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failure;
  }
}
