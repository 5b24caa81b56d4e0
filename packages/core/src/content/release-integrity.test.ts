// A node serves exactly the announced commit's tree, or says why not: what is at a release path
// is activated only with its manifest, a damaged active release is rebuilt, two publishers never
// leave a partial release, and no write goes through a symlink.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { okAsync } from 'neverthrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { archiveSnapshot, treeSnapshot } from '../../../../test/support/release-archive';
import { directoryTarget } from './directory-target';
import { openGitSource, type GitSource } from '../git/source';
import { publishCommit, type PublishReport } from './publish';
import type { StagedFile } from './target';
import { verifyRelease } from './verify-release';

const run = promisify(execFile);
const fixtures = useGitFixtures();

const many = (n: number, tag: string) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`pages/${i % 7}/p${i}.html`, `${tag} ${i}\n`]),
  );

describe('verified releases in a directory target', () => {
  let repo: BareRepo;
  let source: GitSource;
  const commits: string[] = [];

  beforeAll(async () => {
    repo = await fixtures.repo('integrity');
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-integrity-cache'),
    })._unsafeUnwrap();
    const site = {
      'index.html': '<h1>one</h1>\n',
      'bin/run.sh': { content: '#!/bin/sh\n', mode: '100755' as const },
      'latest.html': { symlink: 'index.html' },
      ...many(200, 'one'),
    };
    commits.push(await commitFiles(repo, site, { message: 'one' }));
    commits.push(
      await commitFiles(
        repo,
        { 'index.html': '<h1>two</h1>\n', 'new.txt': 'new\n' },
        { message: 'two' },
      ),
    );
    commits.push(await commitFiles(repo, many(200, 'three'), { message: 'three' }));
  });
  const first = () => commits[0] ?? '';
  const second = () => commits[1] ?? '';
  const third = () => commits[2] ?? '';

  /** `current` is byte for byte `git archive` of `commit`, and the full check agrees. */
  const expectServes = async (dir: string, commit: string) => {
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${commit}`);
    expect(await treeSnapshot(join(dir, 'current/'))).toEqual(
      await archiveSnapshot(repo.dir, commit),
    );
    const verified = (
      await verifyRelease({ target: directoryTarget(dir), source })
    )._unsafeUnwrap();
    expect(verified).toMatchObject({ commit, verified: true, active: true, problems: [] });
  };
  const publish = (
    dir: string,
    commit: string,
    extra: Partial<Parameters<typeof publishCommit>[0]> = {},
  ) => publishCommit({ source, commit, target: directoryTarget(dir), ...extra });
  const freshDir = async (active?: string) => {
    const dir = await fixtures.dir('berth-integrity');
    if (active) (await publish(dir, active))._unsafeUnwrap();
    return dir;
  };
  /** `git archive` of `commit` unpacked at `path`: a release made by someone else. */
  const plantArchive = async (path: string, commit: string) => {
    await mkdir(path, { recursive: true });
    await run('sh', [
      '-c',
      'git --git-dir="$1" archive "$2" | tar -x -C "$3"',
      'sh',
      repo.dir,
      commit,
      path,
    ]);
  };

  const foreign: Record<string, (path: string) => Promise<void>> = {
    'a copy with a file missing': async (path) => {
      await plantArchive(path, second());
      await rm(join(path, 'pages', '3'), { recursive: true });
    },
    'a copy with one file different': async (path) => {
      await plantArchive(path, second());
      await writeFile(join(path, 'index.html'), '<h1>TWO</h1>\n');
    },
    'a copy with an extra file': async (path) => {
      await plantArchive(path, second());
      await writeFile(join(path, 'extra.html'), 'not in the tree\n');
    },
    'a regular file': async (path) => {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'not a directory\n');
    },
  };

  it.each(Object.keys(foreign))(
    'rebuilds %s found at the release path instead of activating it',
    async (what) => {
      const dir = await freshDir(first());
      await foreign[what]?.(join(dir, '.berth', 'releases', second()));
      const report = (await publish(dir, second()))._unsafeUnwrap();
      expect(report.commit).toBe(second());
      await expectServes(dir, second());
      // What was there was moved aside and removed, not left to grow.
      expect((await readdir(join(dir, '.berth', 'trash'))).length).toBe(0);
    },
  );

  const damage: Record<string, (dir: string, commit: string) => Promise<void>> = {
    'its release directory deleted': (dir, commit) =>
      rm(join(dir, '.berth', 'releases', commit), { recursive: true }),
    'every release deleted': (dir) => rm(join(dir, '.berth', 'releases'), { recursive: true }),
    'a file of it truncated': (dir, commit) =>
      truncate(join(dir, '.berth', 'releases', commit, 'index.html'), 1),
    'a file of it removed': (dir, commit) =>
      rm(join(dir, '.berth', 'releases', commit, 'pages', '1', 'p1.html')),
  };

  it.each(Object.keys(damage))(
    'rebuilds and re-activates the active release with %s, running both hooks, and says so',
    async (what) => {
      const dir = await freshDir(first());
      await damage[what]?.(dir, first());
      const hooks: string[] = [];
      const report = (
        await publish(dir, first(), {
          beforeActivate: (c) => okAsync(void hooks.push(`before ${c.commit}`)),
          afterActivate: (c) => okAsync(void hooks.push(`after ${c.commit}`)),
        })
      )._unsafeUnwrap();
      expect(report).toMatchObject({ commit: first(), unchanged: false, repaired: true });
      expect(hooks).toEqual([`before ${first()}`, `after ${first()}`]);
      await expectServes(dir, first());
      // Whole again: the next publish of the same commit does nothing.
      expect((await publish(dir, first()))._unsafeUnwrap()).toMatchObject({
        unchanged: true,
        repaired: false,
      });
    },
  );

  it('publishes over a damaged active release from scratch, never from its damage', async () => {
    const dir = await freshDir(first());
    await rm(join(dir, '.berth', 'releases', first(), 'pages', '2'), { recursive: true });
    (await publish(dir, second()))._unsafeUnwrap();
    await expectServes(dir, second());
  });

  const race = async (sameObject: boolean) => {
    for (let round = 0; round < 6; round++) {
      const dir = await freshDir(first());
      const shared = directoryTarget(dir);
      const target = () => (sameObject ? shared : directoryTarget(dir));
      const outcomes = await Promise.all(
        [second(), third()].map(async (commit) => ({
          commit,
          result: await publishCommit({ source, commit, target: target() }),
        })),
      );
      const live = (await readlink(join(dir, 'current'))).split('/').pop();
      const ok = outcomes.filter((o) => o.result.isOk()).map((o) => o.commit);
      const failed = outcomes.filter((o) => o.result.isErr());
      // The live commit is one reported published; the other either failed as a conflict or
      // went live first (then it is `previous`): never "ok" for a commit overwritten unseen.
      expect(ok).toContain(live);
      for (const f of failed)
        expect(f.result._unsafeUnwrapErr()).toMatchObject({ kind: 'TargetStateChanged' });
      if (ok.length === 2) {
        const other = ok.find((c) => c !== live);
        expect(await readlink(join(dir, '.berth', 'previous'))).toBe(`releases/${other}`);
      }
      await expectServes(dir, live ?? '');
      (await shared.close())._unsafeUnwrap();
    }
  };

  it('two publishers on one directory: one wins whole, the other says TargetStateChanged', () =>
    race(false));
  it('two publishes through one target object: the same', () => race(true));

  it('never writes through a symlink planted as the staging directory', async () => {
    const dir = await freshDir(first());
    const outside = await fixtures.dir('berth-integrity-outside');
    await rm(join(dir, '.berth', 'staging'), { recursive: true, force: true });
    await symlink(outside, join(dir, '.berth', 'staging'));
    const error = (await publish(dir, second()))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'TargetIo' });
    expect(error.message).toMatch(/not a real directory/);
    expect(await readdir(outside)).toEqual([]);
    await expectServes(dir, first());
  });

  it("never writes through a symlink of the tree's own, even when asked to directly", async () => {
    const dir = await freshDir();
    const outside = await fixtures.dir('berth-integrity-outside');
    const target = directoryTarget(dir);
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
    async function* files(): AsyncGenerator<StagedFile> {
      yield { path: 'd', kind: 'symlink', content: Buffer.from(outside) };
      yield { path: 'd/x.html', kind: 'file', content: Buffer.from('escaped\n') };
      yield { path: 'e', kind: 'symlink', content: Buffer.from('.') };
      yield { path: 'e/e/y.html', kind: 'file', content: Buffer.from('escaped\n') };
    }
    const error = (
      await target.stage({
        commit: 'a'.repeat(40),
        files: files(),
        deleted: [],
        replaced: [],
        mtime: new Date(),
        expectActive: undefined,
        activate: {},
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'TargetIo' });
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(join(dir, '.berth', 'staging'))).toEqual([]);
    expect((await target.state({ fresh: true }))._unsafeUnwrap()).toEqual({ releases: [] });
  });

  it('verifyRelease finds a changed byte that keeps the size; the cheap check does not', async () => {
    const dir = await freshDir(first());
    await writeFile(join(dir, '.berth', 'releases', first(), 'index.html'), '<h1>ONE</h1>\n');
    const target = directoryTarget(dir);
    expect((await target.check(first()))._unsafeUnwrap().verified).toBe(true);
    const report = (await verifyRelease({ target, source }))._unsafeUnwrap();
    expect(report).toMatchObject({ commit: first(), verified: false, active: true, depth: 'full' });
    expect(report.problems).toEqual([
      expect.stringMatching(/^index\.html: content [0-9a-f]{40}, expected/),
    ]);
  });

  it('keeps one work directory per publish and leaves none behind', async () => {
    const dir = await freshDir(first());
    const reports: PublishReport[] = [];
    for (const commit of [second(), third(), first()])
      reports.push((await publish(dir, commit))._unsafeUnwrap());
    expect(reports.map((r) => r.commit)).toEqual([second(), third(), first()]);
    // Only manifests and releases (and the copy made ahead) are left; nothing in the trash.
    expect(await readdir(join(dir, '.berth', 'trash'))).toEqual([]);
    const releases = await readdir(join(dir, '.berth', 'releases'));
    expect(releases.every((n) => /^[0-9a-f]{40}(\.manifest)?$/.test(n))).toBe(true);
  });
});
