// `berth name` as a process, without the full program (see fast-path.ts): bin.ts chooses it. The
// engine's socket answers directly when it can (name-direct.ts); otherwise, and for every
// failure, the full lookup (name-full.cjs, loaded only then) runs and reports — in a new Node
// with NODE_EXTRA_CA_CERTS back when bin/berth started this one without it (extra-ca.ts).
import { join } from 'node:path';
import { rerunWithExtraCa, savedExtraCa } from './extra-ca';
import { fastNameCall } from './fast-path';
import { directNames, remainingMs } from './name-direct';
import type * as NameFull from './name-full';
import { endQuietlyOnClosedOutput } from './process-io';
import { writeOutcome } from './write-outcome';

const argv = process.argv.slice(2);
const call = fastNameCall(argv, process.env);
if (!call) throw new Error('bin-name.cjs ran for a command line fast-path.ts does not take');
void directNames(call, process.env).then(async (outcome) => {
  if (outcome) {
    // Only stdout is written to here: setting stderr up too would cost a stream for nothing.
    endQuietlyOnClosedOutput([process.stdout]);
    writeOutcome(
      outcome,
      {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      },
      call.globals.json,
    );
    // Nothing else is left to do: end once stdout has taken the text (its callback runs after
    // every earlier write), without waiting for Node to wind the event loop down.
    process.stdout.write('', () => process.exit(outcome.exitCode));
    return;
  }
  // `--timeout` bounds the whole command: the full lookup gets what the direct path left of it
  // (counted from this process's start).
  const left = remainingMs(call.globals.timeoutMs, performance.now());
  // The full lookup may reach the engine over TLS: with the certificates bin/berth put aside.
  const saved = savedExtraCa();
  if (saved !== undefined)
    return rerunWithExtraCa(saved, join(__dirname, 'name-full.cjs'), [
      ...argv,
      ...(left === undefined ? [] : [`--timeout=${left}ms`]),
    ]);
  // A path built at run time, so that the bundler leaves this require alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const full = require(join(__dirname, 'name-full.cjs')) as typeof NameFull;
  process.exitCode = await full.runFullName(
    left === undefined ? call : { ...call, globals: { ...call.globals, timeoutMs: left } },
  );
});
