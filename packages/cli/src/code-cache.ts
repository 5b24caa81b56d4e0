// Loading the full program (dist/bin-program.cjs, about 740 KB) with V8's code cache. Compiling
// that file is most of what `berth --help` costs above Node's own start: V8 parses every function
// in it once. The build (scripts/code-cache.mjs) runs `berth --help` once and keeps what V8 then
// compiled, in dist/bin-program.cjs.code-cache; here V8 is handed it, and compiles only what it
// lacks. What runs is always the file's own code:
//
// - V8 checks that the cache was made by the same V8 with the same flags, and otherwise ignores
//   it (a Node other than the one that built berth then compiles from the source, as `require`
//   would). Of the source it checks the length only: a cache handed to V8 for a file edited to
//   the same length runs the old code. So the cache starts with the length and CRC-32 of the file
//   it was made for, and is not handed to V8 unless the file has both (a rebuilt or patched file,
//   a cache from another build). CRC-32 is there to catch accidents, not tampering: whoever can
//   write the cache can write the file beside it.
// - With source maps on (`--enable-source-maps`), the file is required as usual: Node maps stack
//   traces only for files it compiled itself.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import type * as Zlib from 'node:zlib';

/** Where the build keeps the code cache of `file`. */
export function codeCacheFile(file: string): string {
  return `${file}.code-cache`;
}

/** The cache file's first line: what it was made for. V8's data follows it. */
export function codeCacheHeader(bytes: number, crc32: number): string {
  return `berth-code-cache bytes=${bytes} crc32=${crc32.toString(16).padStart(8, '0')}\n`;
}

/** V8's data in the cache of `file`, if the cache was made for exactly `content`. */
function cacheFor(file: string, content: Buffer): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(codeCacheFile(file));
  } catch {
    return undefined;
  }
  const end = cache.indexOf(0x0a);
  if (end === -1 || end > 80) return undefined;
  // Required only when there is a cache to check.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { crc32 } = require('node:zlib') as typeof Zlib;
  const made = cache.subarray(0, end + 1).toString('latin1');
  return made === codeCacheHeader(content.length, crc32(content))
    ? cache.subarray(end + 1)
    : undefined;
}

/**
 * Runs the CommonJS file `file` as `require(file)` would, with its code cache when there is one
 * for its content; without, through `require` itself.
 */
export function requireWithCodeCache(file: string): void {
  const sourceMaps = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
  const content = sourceMaps ? undefined : readFileSync(file);
  const cachedData = content === undefined ? undefined : cacheFor(file, content);
  if (content === undefined || cachedData === undefined) {
    // A path built at run time in every caller, so that the bundler leaves this require alone.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
    return;
  }
  const script = new Script(Module.wrap(content.toString('utf8')), { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
}
