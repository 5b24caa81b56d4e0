#!/usr/bin/env node
// The `berth` executable: it reads nothing but the command line and loads one of two bundles
// (see tsup.config.ts). `berth name <id> …`, called many times per Jenkins build, runs the small
// one (bin-name.cjs: no commander, only the library's lookup); everything else the full program
// (bin-program.cjs). fast-path.ts says which command lines the small one takes.
import { join } from 'node:path';
import { fastNameCall } from './fast-path';

const bundle = fastNameCall(process.argv.slice(2), process.env)
  ? 'bin-name.cjs'
  : 'bin-program.cjs';
// A path built at run time, so that the bundler leaves this require alone.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(join(__dirname, bundle));
