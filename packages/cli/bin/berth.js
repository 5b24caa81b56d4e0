#!/usr/bin/env node
// The `berth` command in Node: bin/berth (the shell launcher npm links) runs it, and so can
// `node …/bin/berth.js`. It exists before the first build, so npm links the launcher at install
// time; the command itself is the built dist/bin.cjs. This file is CommonJS (bin/package.json
// says so): an ES module here would start Node's ESM loader, a measurable part of a cold
// `berth name`, only to require one CommonJS file.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, see above
require('../dist/bin.cjs');
