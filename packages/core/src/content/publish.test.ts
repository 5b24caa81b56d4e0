import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { okAsync } from 'neverthrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import {
  commitFiles,
  commitRawTree,
  useGitFixtures,
  type BareRepo,
} from '../../../../test/support/git';
import { directoryTarget } from './directory-target';
import { openGitSource, type GitSource } from '../git/source';
import { publishCommit, rollbackRelease, type HookContext } from './publish';

const fixtures = useGitFixtures();

/** Every file under `dir` (following nothing), as path → content or `-> target`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isSymbolicLink()) out[relative(dir, full)] = `-> ${await readlink(full)}`;
      else out[relative(dir, full)] = await readFile(full, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

/** Everything in the target outside the release directories. */
async function outsideReleases(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      const rel = relative(dir, full);
      if (rel === '.berth/releases') continue;
      out.push(rel);
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(dir);
  return out.sort();
}

const site = {
  'index.html': '<h1>v1</h1>\n',
  'css/site.css': 'body { color: black }\n',
  'bin/build.sh': { content: '#!/bin/sh\necho build\n', mode: '100755' as const },
  'latest.html': { symlink: 'index.html' },
  'docs/ünïcødé and spaces.txt': 'unicode\n',
  'empty.txt': '',
  [`deep/${Array.from({ length: 30 }, (_, i) => `d${i}`).join('/')}/leaf.txt`]: 'deep\n',
};

describe('publishCommit to a directory target', () => {
  let repo: BareRepo;
  let source: GitSource;
  let dir: string;
  let first: string;

  beforeAll(async () => {
    repo = await fixtures.repo('publish');
    dir = await fixtures.dir('berth-publish-target');
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-publish-cache'),
    })._unsafeUnwrap();
    first = await commitFiles(repo, site, { message: 'v1' });
  });

  it('publishes a whole tree the first time, keeping modes, symlinks, unicode, empty and deep files', async () => {
    const target = directoryTarget(dir);
    const report = (await publishCommit({ source, commit: 'main', target }))._unsafeUnwrap();
    expect(report).toMatchObject({
      commit: first,
      previous: undefined,
      unchanged: false,
      gitlinks: [],
    });
    expect([...report.changed.added].sort()).toEqual(Object.keys(site).sort());
    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${first}`);
    const served = await snapshot(join(dir, 'current/'));
    expect(served['index.html']).toBe('<h1>v1</h1>\n');
    expect(served['latest.html']).toBe('-> index.html');
    expect(served['docs/ünïcødé and spaces.txt']).toBe('unicode\n');
    expect(served['empty.txt']).toBe('');
    expect((await stat(join(dir, 'current/bin/build.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'current/index.html'))).mode & 0o777).toBe(0o644);
  });

  it('does nothing when the commit is already active', async () => {
    const report = (
      await publishCommit({ source, commit: first, target: directoryTarget(dir) })
    )._unsafeUnwrap();
    expect(report).toMatchObject({ commit: first, previous: first, unchanged: true, bytesSent: 0 });
  });

  it('sends only what changed and carries the rest over by hard link', async () => {
    const second = await commitFiles(
      repo,
      { 'index.html': '<h1>v2</h1>\n', 'css/site.css': null, 'new.txt': 'new\n' },
      { message: 'v2' },
    );
    const report = (
      await publishCommit({ source, commit: second, target: directoryTarget(dir) })
    )._unsafeUnwrap();
    expect(report.changed).toEqual({
      added: ['new.txt'],
      modified: ['index.html'],
      deleted: ['css'],
    });
    expect(report.bytesSent).toBe('<h1>v2</h1>\n'.length + 'new\n'.length);
    expect(report.previous).toBe(first);
    const [oldLeaf, newLeaf] = await Promise.all(
      [first, second].map((c) =>
        lstat(join(dir, '.berth/releases', c, 'docs/ünïcødé and spaces.txt')),
      ),
    );
    expect(newLeaf?.ino).toBe(oldLeaf?.ino);
    expect(await readFile(join(dir, '.berth/releases', first, 'index.html'), 'utf8')).toBe(
      '<h1>v1</h1>\n',
    );
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('<h1>v2</h1>\n');

    const back = (await rollbackRelease(directoryTarget(dir)))._unsafeUnwrap();
    expect(back).toMatchObject({ active: first, previous: second });
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('<h1>v1</h1>\n');
    (await rollbackRelease(directoryTarget(dir)))._unsafeUnwrap();
  });

  const hostile: Array<[string, Parameters<typeof commitRawTree>[1], string[]]> = [
    ['a ".." entry', [{ name: '..', content: 'escape\n' }], ['..']],
    [
      'a ".." directory',
      [{ name: '..', tree: [{ name: 'evil.txt', content: 'x' }] }],
      ['../evil.txt'],
    ],
    [
      'a path under .git/',
      [{ name: '.git', tree: [{ name: 'config', content: '[core]\n' }] }],
      ['.git/config'],
    ],
    [
      'a path under .GIT/ deeper down',
      [{ name: 'sub', tree: [{ name: '.GIT', tree: [{ name: 'hooks', content: 'x' }] }] }],
      ['sub/.GIT/hooks'],
    ],
    ['an absolute symlink', [{ name: 'passwd', symlink: '/etc/passwd' }], ['passwd']],
    [
      'a symlink that leaves the release',
      [{ name: 'up', tree: [{ name: 'out', symlink: '../../../etc' }] }],
      ['up/out'],
    ],
    [
      'a symlink chain that leaves the release',
      [
        { name: 's2', symlink: '.' },
        { name: 'sub', tree: [{ name: 'l', symlink: '../s2/../..' }] },
      ],
      ['sub/l'],
    ],
    [
      'several at once',
      [
        { name: '..', content: 'x' },
        { name: 'abs', symlink: '/' },
        { name: '.git', tree: [{ name: 'HEAD', content: 'x' }] },
      ],
      ['..', 'abs', '.git/HEAD'],
    ],
  ];

  it.each(hostile)(
    'refuses %s as a whole, naming the paths; the old release serves byte for byte',
    async (_label, entries, paths) => {
      const before = await snapshot(join(dir, 'current/'));
      const beforeOutside = await outsideReleases(dir);
      const active = await readlink(join(dir, 'current'));
      const bad = await commitRawTree(
        repo,
        [{ name: 'index.html', content: 'HOSTILE\n' }, ...entries],
        { message: 'hostile' },
      );

      const error = (
        await publishCommit({ source, commit: bad, target: directoryTarget(dir) })
      )._unsafeUnwrapErr();
      if (!hasKind(error, 'UnsafeTree'))
        throw new Error(`expected UnsafeTree, got ${error.kind}: ${error.message}`);
      expect(error.commit).toBe(bad);
      expect(error.paths.map((p) => p.path).sort()).toEqual([...paths].sort());

      expect(await readlink(join(dir, 'current'))).toBe(active);
      expect(await snapshot(join(dir, 'current/'))).toEqual(before);
      expect(await outsideReleases(dir)).toEqual(beforeOutside);
      expect(await readdir(join(dir, '.berth/releases'))).not.toContain(bad);
    },
  );

  it('reports a submodule and publishes the rest', async () => {
    const withGitlink = await commitRawTree(
      repo,
      [
        { name: 'index.html', content: 'with a submodule\n' },
        { name: 'vendor', tree: [{ name: 'lib', gitlink: first }] },
      ],
      { message: 'gitlink' },
    );
    const report = (
      await publishCommit({ source, commit: withGitlink, target: directoryTarget(dir) })
    )._unsafeUnwrap();
    expect(report.gitlinks).toEqual([{ path: 'vendor/lib', commit: first }]);
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('with a submodule\n');
    await expect(lstat(join(dir, 'current/vendor/lib'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('publishes one folder of the repository as the release root', async () => {
    const both = await commitFiles(
      repo,
      { 'site/index.html': 'site\n', 'nginx/nginx.conf': 'events {}\n' },
      { message: 'two folders', replace: true },
    );
    const siteDir = await fixtures.dir('berth-publish-site');
    const report = (
      await publishCommit({
        source,
        commit: both,
        target: directoryTarget(siteDir),
        subdir: 'site/',
      })
    )._unsafeUnwrap();
    expect(report.changed.added).toEqual(['index.html']);
    expect(await snapshot(join(siteDir, 'current/'))).toEqual({ 'index.html': 'site\n' });
  });

  it('runs both hooks around a swap even when a commit leaves the published folder as it was', async () => {
    const confDir = await fixtures.dir('berth-publish-conf');
    const base = await commitFiles(
      repo,
      { 'conf/app.conf': 'a = 1\n', 'www/index.html': '1\n' },
      { message: 'conf', replace: true },
    );
    const calls: string[] = [];
    const hook = (name: string) => (context: HookContext) => {
      calls.push(`${name} ${context.commit}`);
      return okAsync(undefined);
    };
    const publish = (commit: string) =>
      publishCommit({
        source,
        commit,
        target: directoryTarget(confDir),
        subdir: 'conf/',
        beforeActivate: hook('check'),
        afterActivate: hook('reload'),
      });
    (await publish(base))._unsafeUnwrap();
    const contentOnly = await commitFiles(
      repo,
      { 'www/index.html': '2\n' },
      { message: 'content only' },
    );
    const report = (await publish(contentOnly))._unsafeUnwrap();
    expect(report).toMatchObject({
      commit: contentOnly,
      bytesSent: 0,
      changed: { added: [], modified: [], deleted: [] },
    });
    // `current` moves to a new release: the gate and the reload cover that swap too.
    expect(calls).toEqual([
      `check ${base}`,
      `reload ${base}`,
      `check ${contentOnly}`,
      `reload ${contentOnly}`,
    ]);
    expect(await readlink(join(confDir, 'current'))).toBe(`.berth/releases/${contentOnly}`);
  });

  it('keeps `keep` releases and never prunes the active or previous one', async () => {
    const keepDir = await fixtures.dir('berth-publish-keep');
    const commits: string[] = [];
    for (let i = 0; i < 5; i++) {
      commits.push(await commitFiles(repo, { 'n.txt': `${i}\n` }, { message: `n${i}` }));
      (
        await publishCommit({
          source,
          commit: commits[i] ?? '',
          target: directoryTarget(keepDir),
          keep: 3,
        })
      )._unsafeUnwrap();
    }
    expect((await readdir(join(keepDir, '.berth/releases'))).sort()).toEqual(
      commits
        .slice(-3)
        .flatMap((c) => [c, `${c}.manifest`])
        .sort(),
    );
    expect(await readlink(join(keepDir, '.berth/previous'))).toBe(`releases/${commits[3]}`);
  });

  it('says UnknownRevision for a commit the repository does not have, and publishes nothing', async () => {
    const before = await readlink(join(dir, 'current'));
    const error = (
      await publishCommit({ source, commit: 'f'.repeat(40), target: directoryTarget(dir) })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe('UnknownRevision');
    expect(await readlink(join(dir, 'current'))).toBe(before);
  });
});
