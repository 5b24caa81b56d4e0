import { ExitCode, type ExitCodeValue } from './exit-codes';
import { inUserWords, type WordsContext } from './error-words';
import { exitCodeOf, failureJson, failureLine, type CliFailure } from './failure';

/** What a command that ran produced: a document for `--json`, text for people. */
export interface Report {
  /** The one JSON document printed with `--json`. */
  readonly document: Record<string, unknown>;
  /** The same for people: tables and sentences, ending with a newline. */
  readonly text: string;
  /** It ran and found a problem (findings at or above `--fail-on`, lagging nodes): exit 1. */
  readonly problem?: boolean;
  /** Parts of the work that failed (one reference of many): the first decides the exit code. */
  readonly failures?: readonly CliFailure[];
  /** What `-q` prints instead of `text`, as docker's `-q` does: only ids or names, one per line. */
  readonly ids?: readonly string[];
}

/** The report as `-q` shows it: its ids alone when it has some, else unchanged. */
export function quietReport(report: Report): Report {
  return report.ids ? { ...report, text: report.ids.map((id) => `${id}\n`).join('') } : report;
}

/** How the command ended, ready to be written. */
export interface Outcome {
  readonly exitCode: ExitCodeValue;
  readonly document: Record<string, unknown>;
  readonly text: string;
  /** Lines for stderr: the `kind: message` of each failure. */
  readonly errors: readonly string[];
}

export function reportOutcome(report: Report, context: WordsContext = {}): Outcome {
  const failures = (report.failures ?? []).map((failure) => inUserWords(failure, context));
  const [first] = failures;
  return {
    exitCode: first ? exitCodeOf(first) : report.problem ? ExitCode.findings : ExitCode.ok,
    document: first ? { ...report.document, error: failureJson(first) } : report.document,
    text: report.text,
    errors: failures.map(failureLine),
  };
}

export function failureOutcome(given: CliFailure, context: WordsContext = {}): Outcome {
  const failure = inUserWords(given, context);
  return {
    exitCode: exitCodeOf(failure),
    document: { error: failureJson(failure) },
    text: '',
    errors: [failureLine(failure)],
  };
}

export { writeOutcome } from './write-outcome';
