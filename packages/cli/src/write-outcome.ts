// Writing a command's outcome, in a module of its own: `berth name`'s direct path (name-direct.ts)
// prints through it without loading the rest of report.ts.
import type { Outcome } from './report';

/** Writes an outcome: exactly one JSON document on stdout with `json`, else the text. */
export function writeOutcome(
  outcome: Outcome,
  io: { stdout(text: string): void; stderr(text: string): void },
  json: boolean,
): void {
  for (const line of outcome.errors) io.stderr(`${line}\n`);
  if (json) io.stdout(`${JSON.stringify(outcome.document, null, 2)}\n`);
  else if (outcome.text) io.stdout(outcome.text);
}
