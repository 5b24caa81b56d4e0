// The full `berth name` lookup as its own bundle (name-full.cjs): bin-name.cjs loads it when the
// engine's socket could not answer directly (name-direct.ts), or did not answer as expected.
import type { FastNameCall } from './fast-path';
import { runFastName } from './fast-name';
import { processIo } from './process-io';

/** Runs the call through the library's lookup, prints its outcome; the exit code. */
export function runFullName(call: FastNameCall): Promise<number> {
  return runFastName(call, processIo());
}
