// A publish that does not fit on the disk fails with a typed error, the old release keeps
// serving intact, its staging is cleaned up (retries add nothing), and a smaller publish works.
// A 2 MB tmpfs stands for the full disk: mounting one needs root.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { archiveSnapshot, treeSnapshot } from '../../../../test/support/release-archive';
import { directoryTarget } from './directory-target';
import { openGitSource, type GitSource } from '../git/source';
import { publishCommit } from './publish';

const run = promisify(execFile);
const fixtures = useGitFixtures();
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('publishing onto a full disk (a 2 MB tmpfs)', () => {
  let repo: BareRepo;
  let source: GitSource;
  let mount: string;
  const commits: Record<'small' | 'big' | 'smaller', string> = { small: '', big: '', smaller: '' };

  beforeAll(async () => {
    repo = await fixtures.repo('disk-full');
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-disk-full-cache'),
    })._unsafeUnwrap();
    const pages = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`pages/p${i}.html`, `page ${i}\n`]),
    );
    commits.small = await commitFiles(
      repo,
      { 'index.html': 'small\n', ...pages },
      { message: 'small' },
    );
    // 3 MB that no file system can make smaller, in three files.
    const big = Object.fromEntries(
      [0, 1, 2].map((i) => [`big/blob${i}.bin`, randomBytes(1 << 20).toString('base64')]),
    );
    commits.big = await commitFiles(repo, big, { message: 'big' });
    commits.smaller = await commitFiles(
      repo,
      { 'index.html': 'smaller\n' },
      { message: 'smaller', replace: true },
    );
    mount = await fixtures.dir('berth-disk-full');
    await mkdir(mount, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  });
  afterAll(async () => {
    if (mount) await run('umount', [mount]).catch(() => undefined);
  });

  const publish = async (commit: string) => {
    const target = directoryTarget(join(mount, 'www'));
    const result = await publishCommit({ source, commit, target });
    (await target.close())._unsafeUnwrap();
    return result;
  };
  const serves = async (commit: string) => {
    const dir = join(mount, 'www');
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${commit}`);
    expect(await treeSnapshot(join(dir, 'current/'))).toEqual(
      await archiveSnapshot(repo.dir, commit),
    );
  };
  const leftovers = async () => ({
    staging: await readdir(join(mount, 'www', '.berth', 'staging')).catch(() => []),
    trash: await readdir(join(mount, 'www', '.berth', 'trash')).catch(() => []),
    releases: (await readdir(join(mount, 'www', '.berth', 'releases'))).sort(),
  });

  it('fails typed, keeps serving, cleans its staging, and then publishes a smaller commit', async () => {
    (await publish(commits.small))._unsafeUnwrap();
    await serves(commits.small);
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = (await publish(commits.big))._unsafeUnwrapErr();
      expect(error).toMatchObject({ kind: 'TargetIo' });
      expect(error.message).toMatch(/ENOSPC|no space left/i);
      await serves(commits.small);
      // Retries add nothing: no work directory, nothing half-moved, only the one release.
      expect(await leftovers()).toEqual({
        staging: [],
        trash: [],
        releases: [commits.small, `${commits.small}.manifest`].sort(),
      });
    }
    (await publish(commits.smaller))._unsafeUnwrap();
    await serves(commits.smaller);
    expect((await leftovers()).staging).toEqual([]);
    await rm(join(mount, 'www'), { recursive: true, force: true });
  });
});
