// The full `berth` program as a process (bin.ts chooses it for every command line but the
// `berth name` ones fast-path.ts takes).
import { processIo } from './process-io';
import { run } from './program';

// Not a top-level await: this file is built as CommonJS (see tsup.config.ts).
void run(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
