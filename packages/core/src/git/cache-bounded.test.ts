// The cache stays bounded: once a commit with big files is neither published nor the release it
// replaced, its objects leave the cache; how much the cache takes is one call away.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures } from '../../../../test/support/git';
import { openTestSource, recordingLogger } from '../../../../test/support/git-source';

const fixtures = useGitFixtures();
const MiB = 1024 * 1024;

describe('a bounded git cache', () => {
  it('shrinks after moving off a commit with a big file, keeping the last two commits', async () => {
    const repo = await fixtures.repo('bounded');
    const logger = recordingLogger();
    const source = await openTestSource(fixtures, { url: repo.url, logger });
    const usage = async () => (await source.diskUsage())._unsafeUnwrap();
    // An empty cache: its directory's own blocks, as du counts them.
    expect(await usage()).toBeLessThan(64 * 1024);

    const big = await commitFiles(repo, {
      'index.html': 'with the video\n',
      'video.bin': randomBytes(10 * MiB),
    });
    (await source.resolve('main'))._unsafeUnwrap();
    expect(await usage()).toBeGreaterThan(10 * MiB);

    const without = await commitFiles(repo, { 'index.html': 'no video\n', 'video.bin': null });
    (await source.resolve('main'))._unsafeUnwrap();
    // The big commit is still the release being replaced (a rollback needs it): kept.
    expect(await usage()).toBeGreaterThan(10 * MiB);

    const next = await commitFiles(repo, { 'index.html': 'next\n' });
    (await source.resolve('main'))._unsafeUnwrap();
    expect(await usage()).toBeLessThan(1 * MiB);
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ bytesBefore: expect.any(Number) }),
      'git cache compacted',
    );

    // What is kept is whole and self-contained; what was dropped comes back by fetching.
    for (const [commit, text] of [
      [next, 'next\n'],
      [without, 'no video\n'],
    ] as const) {
      const index = (await source.listTree(commit))
        ._unsafeUnwrap()
        .find((e) => e.path === 'index.html');
      expect((await source.readBlob(index?.oid ?? ''))._unsafeUnwrap().toString()).toBe(text);
    }
    const packDir = join(source.cacheDir, 'objects', 'pack');
    for (const file of await readdir(packDir)) {
      if (file.endsWith('.idx')) await git(['verify-pack', join(packDir, file)]);
    }
    expect((await source.resolve(big))._unsafeUnwrap()).toBe(big);
    expect((await source.listTree(big))._unsafeUnwrap().map((e) => e.path)).toContain('video.bin');
  });
});
