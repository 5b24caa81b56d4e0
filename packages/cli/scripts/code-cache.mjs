// After tsup: V8's code cache for dist/bin-program.cjs, which bin.cjs hands to V8 when it loads
// the full program (src/code-cache.ts says how it is checked). `berth --help` is run once from the
// file, compiled as bin.cjs compiles it, with its output discarded, so that what a command line
// compiles is in the cache too. The cache is written as one line naming the file's length and
// CRC-32 (the format of codeCacheHeader in src/code-cache.ts), then V8's data. The build fails if
// this Node's V8 would not take the result.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

const file = join(import.meta.dirname, '..', 'dist', 'bin-program.cjs');
const cacheFile = `${file}.code-cache`;
const content = readFileSync(file);
const header = `berth-code-cache bytes=${content.length} crc32=${crc32(content).toString(16).padStart(8, '0')}\n`;
const source = Module.wrap(content.toString('utf8'));

const script = new Script(source, { filename: file });
const module = new Module(file);
module.filename = file;
process.argv = [process.execPath, file, '--help'];
process.stdout.write = () => true;
process.on('exit', (code) => {
  if (code !== 0) {
    console.error(`code-cache: berth --help from ${file} ended with ${code}`);
    return;
  }
  const data = script.createCachedData();
  if (new Script(source, { filename: file, cachedData: data }).cachedDataRejected) {
    console.error('code-cache: V8 rejects the cache it has just made');
    process.exitCode = 1;
    return;
  }
  writeFileSync(cacheFile, Buffer.concat([Buffer.from(header, 'latin1'), data]));
  console.error(`code-cache: ${cacheFile} (${data.length} bytes of V8 data)`);
});
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
