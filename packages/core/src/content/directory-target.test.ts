// A directory target remembers what its own last step saw. These prove that what it remembers
// never outlives a change made by another writer on the same directory.
import { mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directoryTarget } from './directory-target';
import type { StagedFile, StageRequest } from './target';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
async function* files(list: Record<string, string>): AsyncGenerator<StagedFile> {
  for (const [path, value] of Object.entries(list))
    yield { path, kind: 'file', content: Buffer.from(value) };
}

const request = (
  commit: string,
  over: Partial<StageRequest> & { list?: Record<string, string> } = {},
): StageRequest => {
  const { list = { 'index.html': commit.slice(0, 1) }, ...rest } = over;
  return {
    commit,
    files: files(list),
    deleted: [],
    // Over a base, index.html is replaced: unlinked first, so the base keeps its own.
    replaced: over.base ? ['index.html'] : [],
    mtime: new Date(),
    expectActive: undefined,
    ...rest,
  };
};

describe('directoryTarget and another writer on the same directory', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const twoWriters = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-dir-target-'));
    dirs.push(dir);
    const mine = directoryTarget(dir);
    const theirs = directoryTarget(dir);
    (await mine.stage(request(A, { activate: {} })))._unsafeUnwrap();
    return { dir, mine, theirs };
  };

  it('sees a release the other activated before it writes', async () => {
    const { dir, mine, theirs } = await twoWriters();
    (await theirs.stage(request(B, { expectActive: A, activate: {} })))._unsafeUnwrap();
    const error = (await mine.stage(request(C, { expectActive: A, base: A })))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'TargetStateChanged', expected: A, found: B });
    expect((await mine.state())._unsafeUnwrap()).toMatchObject({ active: B, previous: A });
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${B}`);
  });

  it('never points current at a release the other removed', async () => {
    const { dir, mine } = await twoWriters();
    (await mine.stage(request(B, { expectActive: A, base: A })))._unsafeUnwrap();
    await rm(join(dir, '.berth', 'releases', B), { recursive: true });
    const error = (await mine.activate(B))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'InvalidInput' });
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${A}`);
    expect((await mine.state())._unsafeUnwrap().releases).toEqual([A]);
  });

  it('keeps the release the other completed first, whole, and writes nothing of its own', async () => {
    const { dir, mine, theirs } = await twoWriters();
    expect((await mine.state())._unsafeUnwrap().releases).toEqual([A]);
    (await theirs.stage(request(B, { expectActive: A, base: A })))._unsafeUnwrap();
    const report = (
      await mine.stage(request(B, { expectActive: A, base: A, list: { 'index.html': 'mine' } }))
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: false, bytesSent: 0 });
    // Theirs stands, whole; a fresh look finds it, and nothing of mine is left in staging.
    expect((await mine.state({ fresh: true }))._unsafeUnwrap().releases).toContain(B);
    expect((await stat(join(dir, '.berth', 'releases', B, 'index.html'))).size).toBe(1);
    (await mine.activate(B))._unsafeUnwrap();
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${B}`);
    // Staging holds only the copy of B made ahead for the next stage, and close() removes it.
    (await mine.close())._unsafeUnwrap();
    expect(await readdir(join(dir, '.berth', 'staging'))).toEqual([]);
  });
});

describe('directoryTarget linking ahead', () => {
  it('stages the next release from a copy of the active one made after the swap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-dir-ahead-'));
    try {
      const target = directoryTarget(dir);
      const pages = Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [`pages/${i}.html`, `page ${i}\n`]),
      );
      (
        await target.stage(request(A, { list: { 'index.html': 'A', ...pages }, activate: {} }))
      )._unsafeUnwrap();
      // The copy made ahead: every file of A, hard-linked.
      await expect
        .poll(async () => (await readdir(join(dir, '.berth', 'staging'))).length, {
          timeout: 10_000,
        })
        .toBe(1);
      const [ahead] = await readdir(join(dir, '.berth', 'staging'));
      expect(ahead).toMatch(new RegExp(`^next\\.${A}~`));
      await expect
        .poll(
          async () =>
            (await stat(join(dir, '.berth', 'staging', ahead ?? '', 'pages', '29.html'))).nlink,
          { timeout: 10_000 },
        )
        .toBe(2);
      (await target.stage(request(B, { expectActive: A, base: A, activate: {} })))._unsafeUnwrap();
      // B: index.html new, the pages shared with A; A untouched.
      const read = (release: string, path: string) =>
        readFile(join(dir, '.berth', 'releases', release, path), 'utf8');
      expect(await read(B, 'index.html')).toBe('b');
      expect(await read(A, 'index.html')).toBe('A');
      expect(await read(B, 'pages/7.html')).toBe('page 7\n');
      // close() waits for the copy of B made ahead and removes it: A and B share the page.
      (await target.close())._unsafeUnwrap();
      expect((await stat(join(dir, '.berth', 'releases', B, 'pages', '7.html'))).nlink).toBe(2);
      expect(await readdir(join(dir, '.berth', 'staging'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
