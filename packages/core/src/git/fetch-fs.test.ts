import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { openTestSource } from '../../../../test/support/git-source';
import type { RawObject } from './objects';
import { fetchFs, type ObjectLookup } from './fetch-fs';

const BLOB = 'a'.repeat(40);
const ABSENT = 'b'.repeat(40);

function fakeLookup(objects: Record<string, RawObject>): ObjectLookup & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (oid) => {
      reads.push(oid);
      return Promise.resolve(objects[oid]);
    },
    has: (oid) => Promise.resolve(oid in objects),
  };
}

describe('fetchFs (the file system isomorphic-git fetches through)', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const gitdir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-fetch-fs-'));
    dirs.push(dir);
    await mkdir(join(dir, 'objects', 'pack'), { recursive: true });
    await writeFile(join(dir, 'objects', 'pack', 'pack-1.idx'), 'index');
    await writeFile(join(dir, 'shallow'), 'x\n');
    return dir;
  };

  it('lists no packs, and serves a stored object as a loose one git can inflate', async () => {
    const dir = await gitdir();
    const lookup = fakeLookup({ [BLOB]: { type: 'blob', content: Buffer.from('hello\n') } });
    const view = fetchFs(dir, lookup).promises;
    expect(await view.readdir(join(dir, 'objects', 'pack'))).toEqual([]);
    expect(await view.readdir(join(dir, 'objects'))).toEqual(['pack']);
    const loose = (await view.readFile(
      `${dir}/objects/${BLOB.slice(0, 2)}/${BLOB.slice(2)}`,
    )) as Buffer;
    expect(inflateSync(loose).toString('latin1')).toBe('blob 6\0hello\n');
    expect((await view.stat(`${dir}/objects/${BLOB.slice(0, 2)}/${BLOB.slice(2)}`)).isFile()).toBe(
      true,
    );
  });

  it('answers ENOENT for an object the store lacks, and passes every other path through', async () => {
    const dir = await gitdir();
    const lookup = fakeLookup({});
    const view = fetchFs(dir, lookup).promises;
    const absent = `${dir}/objects/${ABSENT.slice(0, 2)}/${ABSENT.slice(2)}`;
    await expect(view.readFile(absent)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(view.stat(absent)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(view.lstat(absent)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(lookup.reads).toEqual([ABSENT]);
    // Not an object path: the real file, or the real error, and the store is not asked.
    expect(String(await view.readFile(join(dir, 'shallow'), 'utf8'))).toBe('x\n');
    await expect(view.readFile(join(dir, 'objects', 'info', 'packs'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const elsewhere = `/tmp/objects/${BLOB.slice(0, 2)}/${BLOB.slice(2)}`;
    await expect(view.readFile(elsewhere)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(lookup.reads).toEqual([ABSENT]);
  });

  it('reads a loose object from the disk first, and writes go to the disk', async () => {
    const dir = await gitdir();
    const lookup = fakeLookup({ [BLOB]: { type: 'blob', content: Buffer.from('stored') } });
    const view = fetchFs(dir, lookup).promises;
    const path = `${dir}/objects/${BLOB.slice(0, 2)}/${BLOB.slice(2)}`;
    await view.mkdir(join(dir, 'objects', BLOB.slice(0, 2)));
    await view.writeFile(path, 'on disk');
    expect(String(await view.readFile(path))).toBe('on disk');
    expect(lookup.reads).toEqual([]);
  });
});

const fixtures = useGitFixtures();

/** The file operations made while `run` runs, by kind and by the file they touched. */
async function countingFileOps(run: () => Promise<unknown>) {
  const counts = { packReads: 0, indexReads: 0, packListings: 0, all: 0 };
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  const spies = ['readFile', 'readdir', 'stat', 'lstat', 'open', 'writeFile'].map((name) => {
    const original = promises[name] as (...args: unknown[]) => unknown;
    return vi.spyOn(promises, name as never).mockImplementation((...args: unknown[]) => {
      const path = String(args[0]);
      counts.all++;
      if (name === 'readFile' && path.endsWith('.pack')) counts.packReads++;
      if (name === 'readFile' && path.endsWith('.idx')) counts.indexReads++;
      if (name === 'readdir' && path.endsWith('/objects/pack')) counts.packListings++;
      return original.apply(fs.promises, args);
    });
  });
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return counts;
}

describe('a fetch into a cache that holds many packs', () => {
  it('costs the same file operations after 30 one-file updates as after 2, and reads no pack whole', async () => {
    const repo = await fixtures.repo('many-packs');
    const pages: Record<string, string> = {};
    for (let i = 0; i < 30; i++) pages[`pages/${i}.html`] = `page ${i}\n`.repeat(50);
    await commitFiles(repo, { 'index.html': 'start\n', ...pages });
    const source = await openTestSource(fixtures, { url: repo.url });
    (await source.resolve('main'))._unsafeUnwrap();

    const oneUpdate = async (i: number) => {
      // Changing a page of the first commit: the thin pack's delta base is in the first pack.
      const commit = await commitFiles(repo, { [`pages/${i % 30}.html`]: `page ${i} v2\n` });
      const counts = await countingFileOps(async () => {
        expect((await source.resolve(commit))._unsafeUnwrap()).toBe(commit);
      });
      const blob = (await source.listTree(commit))
        ._unsafeUnwrap()
        .find((e) => e.path === `pages/${i % 30}.html`);
      expect((await source.readBlob(blob?.oid ?? ''))._unsafeUnwrap().toString()).toBe(
        `page ${i} v2\n`,
      );
      return counts;
    };

    const early = await oneUpdate(0);
    await oneUpdate(1);
    for (let i = 2; i < 30; i++) await oneUpdate(i);
    const late = await oneUpdate(30);

    // isomorphic-git read no pack index and no pack (berth's store reads indexes once, through
    // its own imports, not counted here), and a fetch costs the same with 32 packs as with 2.
    for (const counts of [early, late]) {
      expect(counts).toMatchObject({ packReads: 0, indexReads: 0, packListings: 0 });
    }
    expect(late.all).toBe(early.all);
  });
});
