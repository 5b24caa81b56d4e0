import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures, type FileSpec } from '../../../../test/support/git';
import { readEntryHeader } from './pack-entry';
import { PackFile } from './pack-file';
import { PackIndex } from './pack-index';
import { ObjectReader, type ObjectReaderOptions } from './pack-reader';
import { PackSet } from './pack-set';
import { ObjectStore } from './store';

const fixtures = useGitFixtures();
const opened: PackSet[] = [];
afterAll(() => Promise.all(opened.map((packs) => packs.close())));

/** git's stdout as bytes (the shared helper decodes and trims it). */
function gitBytes(args: readonly string[], gitDir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: {
        ...process.env,
        GIT_DIR: gitDir,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`git ${args.join(' ')}: ${Buffer.concat(errors).toString()}`)),
    );
  });
}

/** Every object of the repository as `git cat-file --batch` prints it. */
async function catAll(gitDir: string): Promise<Map<string, { type: string; content: Buffer }>> {
  const out = await gitBytes(['cat-file', '--batch-all-objects', '--batch'], gitDir);
  const objects = new Map<string, { type: string; content: Buffer }>();
  let at = 0;
  while (at < out.length) {
    const newline = out.indexOf(10, at);
    const [oid, type, size] = out.toString('latin1', at, newline).split(' ');
    const start = newline + 1;
    objects.set(oid as string, {
      type: type as string,
      content: out.subarray(start, start + Number(size)),
    });
    at = start + Number(size) + 1;
  }
  return objects;
}

interface PackedObject {
  readonly oid: string;
  readonly type: string;
  /** Of the entry's data: the object's size, or for a delta, the delta's. */
  readonly size: number;
  readonly sizeInPack: number;
  readonly offset: number;
  readonly depth: number;
}

/** `git verify-pack -v`: where each object is, and how deep in a delta chain. */
async function verifyPack(gitDir: string): Promise<PackedObject[]> {
  const packDir = join(gitDir, 'objects', 'pack');
  const objects: PackedObject[] = [];
  for (const idx of (await readdir(packDir)).filter((f) => f.endsWith('.idx'))) {
    const listing = await git(['verify-pack', '-v', join(packDir, idx)], { gitDir });
    for (const line of listing.split('\n')) {
      const m = /^([0-9a-f]{40}) (\w+) +(\d+) (\d+) (\d+)(?: (\d+) [0-9a-f]{40})?$/.exec(line);
      if (!m) continue;
      const [, oid, type, size, sizeInPack, offset, depth] = m as unknown as string[];
      objects.push({
        oid: oid as string,
        type: type as string,
        size: Number(size),
        sizeInPack: Number(sizeInPack),
        offset: Number(offset),
        depth: Number(depth ?? 0),
      });
    }
  }
  return objects;
}

function readerFor(gitDir: string, options: ObjectReaderOptions = {}) {
  const packs = new PackSet(join(gitDir, 'objects', 'pack'));
  opened.push(packs);
  return { packs, reader: new ObjectReader(gitDir, packs, options) };
}

/** Reads every object git lists and names the ones that differ from git's answer. */
async function mismatches(gitDir: string, options: ObjectReaderOptions = {}): Promise<string[]> {
  const expected = await catAll(gitDir);
  const { reader } = readerFor(gitDir, options);
  const wrong: string[] = [];
  for (const [oid, object] of expected) {
    const read = await reader.read(oid);
    if (read?.type !== object.type || !Buffer.from(read.content).equals(object.content)) {
      wrong.push(`${oid} ${object.type}`);
    }
  }
  expect(expected.size).toBeGreaterThan(100);
  return wrong;
}

const words = (n: number) =>
  Array.from({ length: n }, () => randomBytes(3).toString('base64')).join(' ');

/**
 * A history made for deltas: a log that grows a line a commit, a large text edited in place,
 * a file that grows by 80 KB of noise, one whose last 80 KB of noise is replaced (whichever
 * version is the base, the others are deltas with an 80 KB insert), a random binary rewritten
 * in places, odd entries (empty, symlink, executable), an annotated tag.
 */
async function historyRepo(): Promise<string> {
  const gitDir = await fixtures.dir('berth-pack-history');
  await git(['init', '-q', '--bare', gitDir]);
  let log = '';
  let grow = Buffer.alloc(0);
  const mixed = randomBytes(380_000);
  const big = Buffer.from(words(60_000));
  const binary = randomBytes(200_000);
  for (let i = 0; i < 40; i++) {
    log += `line ${i} ${words(8)}\n`;
    big.write(`edit ${i}`, i * 5_000);
    if (i % 8 === 0) grow = Buffer.concat([grow, randomBytes(80_000)]);
    if (i % 10 === 0) randomBytes(4_000).copy(binary, i * 4_000);
    if (i % 10 === 0) randomBytes(80_000).copy(mixed, 300_000);
    const files: Record<string, FileSpec> = {
      'log.txt': log,
      'src/app.js': `export const version = ${i};\n${words(200)}\n`,
      'docs/big.txt': Buffer.from(big),
      'assets/grow.bin': grow,
      'assets/mixed.bin': Buffer.from(mixed),
      'assets/blob.bin': Buffer.from(binary),
    };
    if (i === 0) {
      files['empty'] = '';
      files['link'] = { symlink: '../outside' };
      files['run.sh'] = { content: '#!/bin/sh\n', mode: '100755' };
    }
    await commitFiles(gitDir, files, { message: `commit ${i}\n\n${words(20)}` });
  }
  await git(['tag', '-a', 'v1', '-m', 'release', 'main'], { gitDir });
  await git(['repack', '-adfq', '--depth=50', '--window=250'], { gitDir });
  return gitDir;
}

/** A bare repository holding `pack` (made by `git pack-objects` from `from`'s objects). */
async function repackedCopy(from: string, args: readonly string[]): Promise<string> {
  const gitDir = await fixtures.dir('berth-pack-variant');
  await git(['init', '-q', '--bare', gitDir]);
  const list = await git(['rev-list', '--objects', '--all'], { gitDir: from });
  const names = list
    .split('\n')
    .map((line) => line.slice(0, 40))
    .join('\n');
  await git(['pack-objects', '-q', ...args, join(gitDir, 'objects', 'pack', 'pack')], {
    gitDir: from,
    input: `${names}\n`,
  });
  return gitDir;
}

let history: string;
beforeAll(async () => {
  history = await historyRepo();
}, 120_000);

describe('ObjectReader on packs git wrote', () => {
  it('reads every object of a pack repacked with deep OFS_DELTA chains, byte for byte', async () => {
    const packed = await verifyPack(history);
    const depths = packed.map((o) => o.depth);
    expect(depths.filter((d) => d > 0).length).toBeGreaterThan(50);
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(20);
    // Inflated in one call and as a stream, whole objects and deltas alike.
    const streamed = packed.filter((o) => o.size > 64 * 1024);
    expect(streamed.some((o) => o.depth === 0)).toBe(true);
    expect(streamed.some((o) => o.depth > 0)).toBe(true);
    expect(await mismatches(history)).toEqual([]);
  });

  it.each([
    [
      'REF_DELTA entries and a version 1 index',
      ['--window=250', '--depth=50', '--index-version=1'],
    ],
    ['64-bit offsets in a version 2 index', ['--delta-base-offset', '--index-version=2,64']],
  ])('reads %s', async (_what, args) => {
    const gitDir = await repackedCopy(history, args);
    const [idx] = (await readdir(join(gitDir, 'objects', 'pack'))).filter((f) =>
      f.endsWith('.idx'),
    );
    const index = PackIndex.parse(await readFile(join(gitDir, 'objects', 'pack', idx as string)));
    if (typeof index === 'string') throw new Error(index);
    expect(index.version).toBe(args.includes('--index-version=1') ? 1 : 2);
    // The fixture is what it claims: entries of the kind the test is about.
    const file = new PackFile(
      'x',
      join(gitDir, 'objects', 'pack', (idx as string).replace('.idx', '.pack')),
      index,
    );
    const kinds = new Set<string>();
    for (const { offset } of await verifyPack(gitDir)) {
      kinds.add(await file.use(async (pack) => (await readEntryHeader(pack, offset)).header.kind));
    }
    await file.close();
    expect(kinds).toContain(args.includes('--delta-base-offset') ? 'ofs-delta' : 'ref-delta');
    expect(await mismatches(gitDir)).toEqual([]);
  });

  it('reads loose objects', async () => {
    const gitDir = await fixtures.dir('berth-pack-loose');
    await git(['init', '-q', '--bare', gitDir]);
    const [pack] = (await readdir(join(history, 'objects', 'pack'))).filter((f) =>
      f.endsWith('.pack'),
    );
    await git(['unpack-objects', '-q'], {
      gitDir,
      input: await readFile(join(history, 'objects', 'pack', pack as string)),
    });
    expect(await readdir(join(gitDir, 'objects', 'pack'))).toEqual([]);
    expect(await mismatches(gitDir)).toEqual([]);
  });

  it('refuses a delta chain longer than its bound, and reads the shorter ones', async () => {
    const packed = await verifyPack(history);
    const { reader } = readerFor(history, { maxDeltaChain: 3, baseCacheBytes: 0 });
    const deep = packed.filter((o) => o.depth > 3).slice(0, 5);
    const shallow = packed.filter((o) => o.depth > 0 && o.depth <= 3).slice(0, 5);
    expect(deep).toHaveLength(5);
    for (const object of deep) {
      await expect(reader.read(object.oid)).rejects.toThrow(/delta chain .* longer than 3/);
    }
    for (const object of shallow) expect((await reader.read(object.oid))?.type).toBe(object.type);
  });

  it('keeps recently used delta bases within its byte budget', async () => {
    const packed = await verifyPack(history);
    const { reader } = readerFor(history, { baseCacheBytes: 100_000 });
    for (const object of packed) await reader.read(object.oid);
    expect(reader.cachedBytes).toBeGreaterThan(0);
    expect(reader.cachedBytes).toBeLessThanOrEqual(100_000);
  });

  it('answers undefined for an object the store lacks, and finds a pack added since', async () => {
    const gitDir = await fixtures.dir('berth-pack-late');
    await git(['init', '-q', '--bare', gitDir]);
    const { reader } = readerFor(gitDir);
    const [commit] = (await verifyPack(history)).filter((o) => o.type === 'commit');
    expect(await reader.read(commit?.oid as string)).toBeUndefined();
    await cp(join(history, 'objects', 'pack'), join(gitDir, 'objects', 'pack'), {
      recursive: true,
    });
    expect((await reader.read(commit?.oid as string))?.type).toBe('commit');
  });
});

describe('ObjectReader on damaged packs', () => {
  async function damaged(damage: (packPath: string, packed: PackedObject[]) => Promise<void>) {
    const gitDir = await fixtures.dir('berth-pack-damaged');
    await cp(history, gitDir, { recursive: true });
    const packDir = join(gitDir, 'objects', 'pack');
    const [pack] = (await readdir(packDir)).filter((f) => f.endsWith('.pack'));
    const packed = await verifyPack(gitDir);
    await damage(join(packDir, pack as string), packed);
    return { store: new ObjectStore('http://127.0.0.1/damaged.git', gitDir), packed };
  }

  async function flip(path: string, at: number): Promise<void> {
    const file = await open(path, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, at);
      byte[0] = (byte[0] as number) ^ 0x5a;
      await file.write(byte, 0, 1, at);
    } finally {
      await file.close();
    }
  }

  const largest = (objects: PackedObject[]) =>
    objects.reduce((a, b) => (b.sizeInPack > a.sizeInPack ? b : a));

  it('reports a flipped byte in a blob and in a delta as GitCacheCorrupt, and reads the rest', async () => {
    let whole: PackedObject | undefined;
    let delta: PackedObject | undefined;
    const { store, packed } = await damaged(async (path, objects) => {
      whole = largest(objects.filter((o) => o.depth === 0 && o.type === 'blob'));
      delta = largest(objects.filter((o) => o.depth > 0));
      await flip(path, whole.offset + Math.floor(whole.sizeInPack / 2));
      await flip(path, delta.offset + Math.floor(delta.sizeInPack / 2));
    });
    for (const oid of [whole?.oid, delta?.oid]) {
      expect((await store.read(oid as string))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitCacheCorrupt',
        problem: expect.stringMatching(/^(malformed|checksum)$/),
        oid,
      });
    }
    const commits = packed.filter((o) => o.type === 'commit');
    for (const commit of commits) expect((await store.read(commit.oid)).isOk()).toBe(true);
  });

  it('reports a truncated pack as a corrupt cache, not as missing', async () => {
    const { store, packed } = await damaged(async (path) => {
      const file = await open(path, 'r+');
      await file.truncate(64);
      await file.close();
    });
    expect((await store.read(packed[0]?.oid as string))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitCacheCorrupt',
      problem: 'checksum',
      message: expect.stringMatching(/checksum/),
    });
  });

  it('reports a deleted pack as missing', async () => {
    const { store, packed } = await damaged(async (path) => {
      await rm(path);
      await rm(path.replace(/\.pack$/, '.idx'));
    });
    expect((await store.read(packed[0]?.oid as string))._unsafeUnwrapErr()).toMatchObject({
      problem: 'missing',
    });
  });
});
