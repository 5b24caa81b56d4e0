#!/usr/bin/env node
// The `berth` executable. It exists before the first build, so npm links it at install time;
// the command itself is the built dist/bin.cjs. This file is CommonJS (bin/package.json says
// so): an ES module here would start Node's ESM loader, a measurable part of a cold
// `berth name`, only to require one CommonJS file.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, see above
require('../dist/bin.cjs');
