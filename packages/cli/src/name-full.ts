// The full `berth name` lookup as its own bundle (name-full.cjs): bin-name.cjs loads it when the
// engine's socket could not answer directly (name-direct.ts), or did not answer as expected, or
// runs it as a process of its own with NODE_EXTRA_CA_CERTS restored (extra-ca.ts).
import { fastNameCall, type FastNameCall } from './fast-path';
import { runFastName } from './fast-name';
import { processIo } from './process-io';

/** Runs the call through the library's lookup, prints its outcome; the exit code. */
export function runFullName(call: FastNameCall): Promise<number> {
  return runFastName(call, processIo());
}

if (require.main === module) {
  const call = fastNameCall(process.argv.slice(2), process.env);
  if (!call) throw new Error('name-full.cjs ran for a command line fast-path.ts does not take');
  void runFullName(call).then((code) => {
    process.exitCode = code;
  });
}
