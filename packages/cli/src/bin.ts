#!/usr/bin/env node
// The `berth` executable: it reads nothing but the command line and loads one of two bundles
// (see tsup.config.ts). `berth name <id> …`, called many times per Jenkins build, runs the small
// one (bin-name.cjs: no commander, only the library's lookup); everything else the full program
// (bin-program.cjs, with the V8 code cache the build made for it: code-cache.ts). fast-path.ts
// says which command lines the small one takes. `berth --version` alone is answered here.
import { join } from 'node:path';
import { version as coreVersion } from '@berth/core/package.json';
import { version } from '../package.json';
import { requireWithCodeCache } from './code-cache';
import { rerunWithExtraCa, savedExtraCa } from './extra-ca';
import { fastNameCall, isVersionCall } from './fast-path';

const argv = process.argv.slice(2);
if (isVersionCall(argv)) {
  // What program.ts's .version() prints; a closed stdout (`berth -V | true`) ends quietly.
  process.stdout.on('error', () => {});
  process.stdout.write(`${version} (@berth/core ${coreVersion})\n`);
} else if (fastNameCall(argv, process.env)) {
  // A path built at run time, so that the bundler leaves this require alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(join(__dirname, 'bin-name.cjs'));
} else {
  // A `name` command line the fast path leaves to the full program (`berth name --help`): bin/berth
  // set the extra certificates aside for it, and this command may need them.
  const saved = savedExtraCa();
  if (saved !== undefined) rerunWithExtraCa(saved, __filename, argv);
  // With V8's code cache from the build, when it was made for this very file (code-cache.ts).
  else requireWithCodeCache(join(__dirname, 'bin-program.cjs'));
}
