#!/usr/bin/env node
// `node …/bin/berth.js` runs the `berth` command; npm links bin/berth, a shell launcher that is
// also the same CommonJS module (see there). It exists before the first build, so npm can link it
// at install time; the command itself is the built dist/bin.cjs. This file is CommonJS
// (bin/package.json says so): an ES module here would start Node's ESM loader, a measurable part
// of a cold `berth name`, only to require one CommonJS file.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, see above
require('../dist/bin.cjs');
