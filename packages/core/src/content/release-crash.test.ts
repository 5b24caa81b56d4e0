// kill -9 of a publishing process at random moments (a seeded PRNG, so a failure can be
// replayed), 30 times, while it publishes a 5,000-file tree back and forth: after each kill
// `current` is a complete release of an announced commit, byte for byte `git archive` of it, the
// next publish converges, and nothing under `.berth` grows without bound.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { directoryTarget } from './directory-target';
import { openGitSource, type GitSource } from '../git/source';
import { publishCommit } from './publish';

const run = promisify(execFile);
const fixtures = useGitFixtures();
const ROUNDS = Number(process.env.BERTH_CRASH_ROUNDS ?? 30);
const SEED = Number(process.env.BERTH_CRASH_SEED ?? 20261205);

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tree = (tag: string, changed: (i: number) => boolean) =>
  Object.fromEntries(
    Array.from({ length: 5000 }, (_, i) => [
      `d${i % 50}/e${i % 7}/f${i}.txt`,
      changed(i) ? `${tag} ${i}\n`.repeat(1 + (i % 5)) : `base ${i}\n`,
    ]),
  );

describe('a publisher killed with SIGKILL at random moments', () => {
  let repo: BareRepo;
  let source: GitSource;
  let cacheDir: string;
  let child: string;
  const commits: string[] = [];
  const archives = new Map<string, string>();

  beforeAll(async () => {
    repo = await fixtures.repo('crash');
    // Inside a fixture folder: the cache's lock file sits beside the cache, and goes with it.
    cacheDir = join(await fixtures.dir('berth-crash-cache'), 'cache');
    source = openGitSource({ url: repo.url, cacheDir })._unsafeUnwrap();
    const extra = {
      'index.html': '<h1>x</h1>\n',
      'run.sh': { content: '#!/bin/sh\n', mode: '100755' as const },
      'latest.html': { symlink: 'index.html' },
    };
    commits.push(await commitFiles(repo, { ...tree('x', () => true), ...extra }, { message: 'x' }));
    commits.push(
      await commitFiles(
        repo,
        tree('y', (i) => i % 2 === 0),
        { message: 'y: half the files' },
      ),
    );
    commits.push(
      await commitFiles(repo, { 'index.html': '<h1>z</h1>\n', 'z.txt': 'z\n' }, { message: 'z' }),
    );
    // Everything fetched once: the children only read the cache.
    for (const commit of commits) {
      (await source.resolve(commit))._unsafeUnwrap();
      (await source.listTree(commit))._unsafeUnwrap();
    }
    for (const commit of commits) {
      const out = await fixtures.dir('berth-crash-archive');
      await run('sh', [
        '-c',
        'git --git-dir="$1" archive "$2" | tar -x -C "$3"',
        'sh',
        repo.dir,
        commit,
        out,
      ]);
      archives.set(commit, out);
    }
    // One bundle, so each child starts in a fraction of a second.
    const esbuild = await import('esbuild');
    child = join(await fixtures.dir('berth-crash-child'), 'child.cjs');
    await esbuild.build({
      entryPoints: [fileURLToPath(new URL('release-crash-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: child,
      // ssh2 (the SSH transport) carries native addons: copied beside the bundle.
      loader: { '.node': 'copy' },
      // The library loads its heavy dependencies on first use through createRequire(import.meta.url).
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      logLevel: 'error',
    });
  }, 240_000);

  /** `current` is a release of one of `commits`, byte for byte, modes and sizes checked. */
  const expectWhole = async (dir: string) => {
    const commit = (await readlink(join(dir, 'current'))).split('/').pop() ?? '';
    expect(commits).toContain(commit);
    await run('diff', [
      '-r',
      '--no-dereference',
      `${join(dir, 'current')}/`,
      `${archives.get(commit)}/`,
    ]);
    const check = (await directoryTarget(dir).check(commit))._unsafeUnwrap();
    expect(check).toMatchObject({ verified: true, problems: [] });
    return commit;
  };

  const startChild = async (dir: string): Promise<ChildProcess> => {
    const proc = spawn(process.execPath, [child, dir, repo.url, cacheDir, commits.join(',')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout?.once('data', () => resolve());
      proc.once('exit', (code) =>
        reject(new Error(`the child exited (${code}) before it was ready`)),
      );
    });
    return proc;
  };

  it(`leaves a whole release of an announced commit after each of ${ROUNDS} kills, and converges`, async () => {
    const random = prng(SEED);
    const dir = await fixtures.dir('berth-crash-site');
    const latest = commits[commits.length - 1] ?? '';
    const initial = directoryTarget(dir);
    (
      await publishCommit({ source, commit: commits[0] ?? '', target: initial, keep: 3 })
    )._unsafeUnwrap();
    (await initial.close())._unsafeUnwrap();
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const proc = await startChild(dir);
      const published: string[] = [];
      proc.stdout?.on('data', (chunk: Buffer) => published.push(chunk.toString()));
      const delayMs = Math.round(50 + random() * 1000);
      await new Promise((r) => setTimeout(r, delayMs));
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      outcomes.push(
        `round ${round}: killed after ${delayMs} ms, ${published.join('').split('\n').filter(Boolean).length} publishes`,
      );
      const found = await expectWhole(dir).catch((cause: unknown) => {
        throw new Error(`${outcomes.join('\n')}\n${String(cause)}`);
      });
      expect(commits).toContain(found);
      // The next publish (the latest announcement) converges, whatever the kill left.
      const target = directoryTarget(dir);
      (await publishCommit({ source, commit: latest, target, keep: 3 }))._unsafeUnwrap();
      expect(await expectWhole(dir)).toBe(latest);
      (await target.close())._unsafeUnwrap();
      // Bounded: at most the work of the last child and the copy made ahead wait for a prune.
      const staging = await readdir(join(dir, '.berth', 'staging')).catch(() => []);
      expect(staging.length).toBeLessThanOrEqual(3);
    }
    const target = directoryTarget(dir);
    (await target.prune(3))._unsafeUnwrap();
    await mkdir(join(dir, '.berth', 'trash'), { recursive: true });
    expect({
      staging: await readdir(join(dir, '.berth', 'staging')),
      trash: await readdir(join(dir, '.berth', 'trash')),
    }).toEqual({ staging: [], trash: [] });
    const releases = await readdir(join(dir, '.berth', 'releases'));
    expect(releases.length).toBeLessThanOrEqual(6);
    expect(releases.every((n) => /^[0-9a-f]{40}(\.manifest)?$/.test(n))).toBe(true);
  }, 600_000);
});
