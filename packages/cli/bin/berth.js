#!/usr/bin/env node
// The `berth` executable. It exists before the first build, so npm links it at install time;
// the command itself is the built dist/bin.js.
import '../dist/bin.js';
