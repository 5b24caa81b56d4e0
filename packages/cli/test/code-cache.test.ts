// The built `berth` loads its full program (dist/bin-program.cjs) with the V8 code cache the build
// made (src/code-cache.ts, scripts/code-cache.mjs). The cache may only ever make it start sooner:
// the program's own code runs, with or without it, and whatever the cache holds. Each case runs a
// copy of dist/ (with node_modules beside it, as an installed package has), so that the cache and
// the program can be changed under it. `npm run build` first.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCacheFile, codeCacheHeader } from '../src/code-cache';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..', '..');
const dist = join(repo, 'packages', 'cli', 'dist');
const PROGRAM = 'bin-program.cjs';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether Node's `require` loaded the program (NODE_DEBUG=module says so), not the cache path. */
  readonly required: boolean;
}

/** `node <dir>/dist/bin.cjs <args>`, its output, and how the program was loaded. */
async function runCopy(
  dir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const program = join(dir, 'dist', PROGRAM);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NODE_DEBUG: 'module' };
  delete childEnv.NODE_EXTRA_CA_CERTS;
  const { code, stdout, stderr } = await exec(
    process.execPath,
    [join(dir, 'dist', 'bin.cjs'), ...args],
    { env: childEnv },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const lines = stderr.split('\n');
  return {
    code,
    stdout,
    // Without NODE_DEBUG's lines: what berth itself printed.
    stderr: lines.filter((line) => !/^MODULE \d+: /.test(line)).join('\n'),
    required: lines.some((line) => line.includes(`load "${program}" for module`)),
  };
}

describe('the code cache of the full program', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-code-cache-'));
    await cp(dist, join(dir, 'dist'), { recursive: true });
    await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const program = () => join(dir, 'dist', PROGRAM);
  const cache = () => codeCacheFile(program());

  it('is made by the build for the built file, and this Node takes it', async () => {
    const content = await readFile(join(dist, PROGRAM));
    const made = await readFile(codeCacheFile(join(dist, PROGRAM)));
    const header = codeCacheHeader(content.length, crc32(content));
    expect(made.subarray(0, header.length).toString('latin1')).toBe(header);
    // V8 itself, in a new Node as berth runs: it would compile from the source if it refused.
    const { stdout } = await exec(process.execPath, [
      '-e',
      `const { Script } = require('node:vm'); const Module = require('node:module');
       const fs = require('node:fs');
       const data = fs.readFileSync(process.argv[2]).subarray(${header.length});
       const source = Module.wrap(fs.readFileSync(process.argv[1], 'utf8'));
       console.log(new Script(source, { filename: process.argv[1], cachedData: data }).cachedDataRejected);`,
      join(dist, PROGRAM),
      codeCacheFile(join(dist, PROGRAM)),
    ]);
    expect(stdout).toBe('false\n');
  });

  it('is used when it was made for the file, and changes nothing berth prints', async () => {
    const cases = [['--help'], ['publish', '--help'], ['no-such-command'], ['--json', 'status']];
    const withCache: Run[] = [];
    for (const args of cases) withCache.push(await runCopy(dir, args));
    for (const run of withCache) expect(run.required).toBe(false);
    expect(withCache[0]!.stdout).toContain('Usage: berth [options] [command]');
    expect(withCache[2]!.code).toBe(2);

    const saved = await readFile(cache());
    await unlink(cache());
    try {
      for (const [i, args] of cases.entries()) {
        const without = await runCopy(dir, args);
        expect(without.required).toBe(true);
        expect({ ...without, required: false }, args.join(' ')).toEqual(withCache[i]);
      }
    } finally {
      await writeFile(cache(), saved);
    }
  });

  it('is not used for a file changed since, even to the same length: the new code runs', async () => {
    const original = await readFile(program(), 'utf8');
    const before = 'Typed Docker data containers';
    const after = 'Typed Docker DATA containers';
    expect(original).toContain(before);
    await writeFile(program(), original.replace(before, after));
    try {
      const run = await runCopy(dir, ['--help']);
      expect(run.required).toBe(true);
      expect(run.stdout).toContain(after);
      expect(run.stdout).not.toContain(before);
    } finally {
      await writeFile(program(), original);
    }
  });

  it('is only a hint to V8: data V8 refuses, or a cache cut short, and berth still runs', async () => {
    const reference = await runCopy(dir, ['--help']);
    const saved = await readFile(cache());
    const header = saved.subarray(0, saved.indexOf(0x0a) + 1);
    try {
      for (const broken of [
        // The header of this file, data that is not V8's.
        Buffer.concat([header, Buffer.alloc(4096, 0x5a)]),
        Buffer.concat([header, saved.subarray(header.length, header.length + 100)]),
        header,
        Buffer.alloc(0),
        Buffer.from('not a cache at all'),
      ]) {
        await writeFile(cache(), broken);
        const run = await runCopy(dir, ['--help']);
        expect({ ...run, required: false }).toEqual(reference);
      }
    } finally {
      await writeFile(cache(), saved);
    }
  });

  it('is left aside with source maps on: Node then maps the stack traces of the program', async () => {
    const run = await runCopy(dir, ['--help'], { NODE_OPTIONS: '--enable-source-maps' });
    expect(run.required).toBe(true);
    expect(run.stdout).toContain('Usage: berth [options] [command]');
  });
});
