// Issue 11, item 5: publish A, then B (a file edited), then the revert of B, with one cache. The
// server answers a shallow fetch with a thin pack; stored as is, B's pack held the edit as a delta
// on the old file and the revert's pack the old file as a delta on the edit, and reads looped.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures, workClone } from '../../../../test/support/git';
import { openTestSource } from '../../../../test/support/git-source';
import type { GitSource } from './source';

const fixtures = useGitFixtures();

/** A page big enough that git stores its edit as a delta. */
const page = () =>
  Array.from({ length: 200 }, (_, i) => `line ${i} ${randomBytes(8).toString('hex')}`).join('\n');

/** Reverts the branch's tip on the server, as `git revert` and a push would. */
async function revertTip(url: string): Promise<string> {
  const work = await workClone(url);
  try {
    await work.run(['revert', '--no-edit', 'HEAD']);
    await work.run(['push', '-q', 'origin', 'HEAD:main']);
    return await work.run(['rev-parse', 'HEAD']);
  } finally {
    await work.cleanup();
  }
}

/** Every blob of the commit, read through `source`, by path. */
async function contents(source: GitSource, commit: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of (await source.listTree(commit))._unsafeUnwrap()) {
    files[entry.path] = (await source.readBlob(entry.oid))._unsafeUnwrap().toString();
  }
  return files;
}

async function packIndexes(cacheDir: string): Promise<string[]> {
  const dir = join(cacheDir, 'objects', 'pack');
  return (await readdir(dir)).filter((f) => f.endsWith('.idx')).map((f) => join(dir, f));
}

describe('a cache that publishes an edit and its revert', () => {
  it('stores every fetched pack self-contained: each verifies on its own', async () => {
    const repo = await fixtures.repo('revert-packs');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const text = page();
    await commitFiles(repo, { 'index.html': `${text}\n`, 'x.txt': 'x\n' });
    const source = await openTestSource(fixtures, { url: repo.url, cacheDir });
    (await source.resolve('main'))._unsafeUnwrap();
    await commitFiles(repo, { 'index.html': `${text}\nedited\n` });
    (await source.resolve('main'))._unsafeUnwrap();
    const reverted = await revertTip(repo.url);
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(reverted);
    const indexes = await packIndexes(cacheDir);
    expect(indexes).toHaveLength(3);
    // `git verify-pack` refuses a thin pack ("pack has 1 unresolved delta").
    for (const index of indexes) await git(['verify-pack', index]);
    expect(
      (await readdir(join(cacheDir, 'objects', 'pack'))).filter((f) => f.endsWith('.tmp')),
    ).toEqual([]);
  });

  it('reads every commit of many edit/revert rounds through a fresh view of the cache', async () => {
    const repo = await fixtures.repo('revert-rounds');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const text = page();
    const original = `${text}\n`;
    const edited = `${text}\nedited\n`;
    const commits = [await commitFiles(repo, { 'index.html': original, 'x.txt': 'x\n' })];
    const publisher = await openTestSource(fixtures, { url: repo.url, cacheDir });
    (await publisher.resolve('main'))._unsafeUnwrap();
    commits.push(await commitFiles(repo, { 'index.html': edited }));
    (await publisher.resolve('main'))._unsafeUnwrap();
    for (let round = 0; round < 6; round++) {
      commits.push(await revertTip(repo.url));
      expect((await publisher.resolve('main'))._unsafeUnwrap()).toBe(commits.at(-1));
      // A new source lists the packs afresh (a restarted node, or another process): the order in
      // which it finds them must not matter.
      const fresh = await openTestSource(fixtures, { url: repo.url, cacheDir });
      for (const [i, commit] of commits.entries()) {
        expect((await contents(fresh, commit))['index.html']).toBe(i % 2 === 0 ? original : edited);
      }
    }
    for (const index of await packIndexes(cacheDir)) await git(['verify-pack', index]);
  });
});
