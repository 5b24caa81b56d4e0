#!/usr/bin/env node
// The `berth` executable. It exists before the first build, so npm links it at install time;
// the command itself is the built dist/bin.cjs, required rather than imported so that Node's
// ESM loader does not scan that whole bundle for its exports.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('../dist/bin.cjs');
