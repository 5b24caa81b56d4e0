import { randomBytes } from 'node:crypto';
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commitFiles, git, useGitFixtures } from '../../../../test/support/git';
import { bumpDirGeneration } from './lock';
import { ObjectReader } from './pack-reader';
import { PackSet } from './pack-set';
import { ObjectStore } from './store';

const fixtures = useGitFixtures();

/** File descriptors this process holds on files under `dir`. */
async function fdsUnder(dir: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) count += 1;
  }
  return count;
}

/** A repository of three packs (one per commit), and a large blob in the last. */
async function threePacks() {
  const gitDir = await fixtures.dir('berth-pack-handles');
  await git(['init', '-q', '--bare', gitDir]);
  const commits: string[] = [];
  const large = randomBytes(2 * 1024 * 1024);
  for (const files of [{ f0: '0\n' }, { f1: '1\n' }, { large }]) {
    commits.push(await commitFiles(gitDir, files));
    // fast-import leaves small imports loose: pack what each commit added on its own.
    await git(['repack', '-dq'], { gitDir });
  }
  const blob = await git(['rev-parse', `${commits[2]}:large`], { gitDir });
  const packs = new PackSet(join(gitDir, 'objects', 'pack'));
  return { gitDir, commits, blob, packs, reader: new ObjectReader(gitDir, packs) };
}

describe('pack file handles', () => {
  it('holds one handle per pack read, and closes them all when the set is closed', async () => {
    const { gitDir, commits, packs, reader } = await threePacks();
    expect(await fdsUnder(gitDir)).toBe(0);
    for (const commit of commits) expect((await reader.read(commit))?.type).toBe('commit');
    expect(packs.count).toBe(3);
    expect(await fdsUnder(gitDir)).toBe(3);
    await packs.close();
    expect(await fdsUnder(gitDir)).toBe(0);
    expect(await reader.read(commits[0] as string)).toBeUndefined();
  });

  it("lets go of an idle pack's handle, and opens it again on the next read", async () => {
    const { gitDir, commits, packs, reader } = await threePacks();
    await reader.read(commits[0] as string);
    expect(await fdsUnder(gitDir)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await fdsUnder(gitDir)).toBe(0);
    expect((await reader.read(commits[0] as string))?.type).toBe('commit');
    expect(await fdsUnder(gitDir)).toBe(1);
    await packs.close();
  });

  it('finishes a read in flight when the set is closed, then closes its handle', async () => {
    const { gitDir, commits, blob, packs, reader } = await threePacks();
    await reader.read(commits[2] as string);
    const reading = reader.read(blob);
    const closing = packs.close();
    expect((await reading)?.content.length).toBe(2 * 1024 * 1024);
    await closing;
    expect(await fdsUnder(gitDir)).toBe(0);
  });

  it("closes the store's handles when its cache directory is reset", async () => {
    const { gitDir, commits } = await threePacks();
    const store = new ObjectStore('http://127.0.0.1/handles.git', gitDir);
    for (const commit of commits) (await store.read(commit))._unsafeUnwrap();
    expect(await fdsUnder(gitDir)).toBe(3);
    bumpDirGeneration(gitDir);
    store.refresh();
    await vi.waitFor(async () => expect(await fdsUnder(gitDir)).toBe(0));
    // The store reads on from a fresh view of the directory.
    expect((await store.read(commits[0] as string)).isOk()).toBe(true);
    bumpDirGeneration(gitDir);
    store.refresh();
  });
});
