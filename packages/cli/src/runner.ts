import type { Command } from 'commander';
import type { ResultAsync } from 'neverthrow';
import { commandContext, globalOptions, type CommandContext } from './context';
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
      const context = commandContext(io, globals);
      try {
        const result = await handler(context);
        const words = { flags: command.opts() };
        outcome = result.match(
          (report) => reportOutcome(globals.quiet ? quietReport(report) : report, words),
          (failure) => failureOutcome(failure, words),
        );
      } catch (thrown) {
        outcome = failureOutcome(thrownFailure(thrown), { flags: command.opts() });
      } finally {
        context.close();
      }
    },
    get outcome() {
      return outcome;
    },
    get json() {
      return json;
    },
  };
}

/** The lines `--help` shows under "Examples:". */
export function examples(lines: readonly string[]): string {
  return ['', 'Examples:', ...lines.map((line) => `  $ ${line}`)].join('\n');
}
