import type { Command } from 'commander';
import type { ResultAsync } from 'neverthrow';
import {
  commandContext,
  globalOptions,
  type CommandContext,
  type Connectors,
  type GlobalOptions,
  wholeLibrary,
} from './context';
import { thrownFailure, type CliFailure } from './failure';
import type { CliIo } from './io';
import { failureOutcome, quietReport, reportOutcome, type Outcome, type Report } from './report';

/** A command's work: what it produced, or the typed failure it ended with. */
export type Handler = (context: CommandContext) => ResultAsync<Report, CliFailure>;

/** Runs the action of whichever command was chosen and keeps its outcome for `run` to write. */
export interface Runner {
  execute(command: Command, handler: Handler): Promise<void>;
  readonly outcome: Outcome | undefined;
  /** Whether the chosen command asked for `--json` (known once an action ran). */
  readonly json: boolean;
}

export function createRunner(io: CliIo): Runner {
  let outcome: Outcome | undefined;
  let json = false;
  return {
    async execute(command, handler) {
      const globals = globalOptions(command.optsWithGlobals());
      json = globals.json;
      outcome = await runHandler(io, globals, command.opts(), handler, wholeLibrary);
    },
    get outcome() {
      return outcome;
    },
    get json() {
      return json;
    },
  };
}

/**
 * Runs one command's handler with its global options and its own flags (`command.opts()`): the
 * outcome to write. Whatever the handler throws becomes a failure too.
 */
export async function runHandler(
  io: CliIo,
  globals: GlobalOptions,
  flags: Readonly<Record<string, unknown>>,
  handler: Handler,
  connectors: () => Promise<Connectors>,
): Promise<Outcome> {
  const context = commandContext(io, globals, connectors);
  const words = { flags };
  try {
    const result = await handler(context);
    return result.match(
      (report) => reportOutcome(globals.quiet ? quietReport(report) : report, words),
      (failure) => failureOutcome(failure, words),
    );
  } catch (thrown) {
    return failureOutcome(thrownFailure(thrown), words);
  } finally {
    context.close();
  }
}

/** The lines `--help` shows under "Examples:". */
export function examples(lines: readonly string[]): string {
  return ['', 'Examples:', ...lines.map((line) => `  $ ${line}`)].join('\n');
}
