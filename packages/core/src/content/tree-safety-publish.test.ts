// The hostile tree of issue 11 (A), made with git plumbing, served by the real git server and
// published into a real directory: refused as a whole, nothing written anywhere.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import {
  commitFiles,
  commitRawTree,
  useGitFixtures,
  type RawEntry,
} from '../../../../test/support/git';
import { directoryTarget } from './directory-target';
import { openGitSource, type GitSource } from '../git/source';
import { publishCommit } from './publish';

const fixtures = useGitFixtures();
const DEPTH = 30;

/** `names[0]/names[1]/…/` holding `leaves`, as nested raw trees. */
function nested(names: readonly string[], leaves: readonly RawEntry[]): RawEntry {
  const [head, ...rest] = names;
  if (head === undefined) throw new Error('nested needs at least one name');
  return { name: head, tree: rest.length === 0 ? leaves : [nested(rest, leaves)] };
}

describe('publishing a tree that links back into itself', () => {
  let dir: string;
  let sentinel: string;
  let source: GitSource;
  let repo: Awaited<ReturnType<typeof fixtures.repo>>;
  let good: string;

  beforeAll(async () => {
    repo = await fixtures.repo('hostile-tree');
    dir = await fixtures.dir('berth-hostile-target');
    sentinel = await fixtures.dir('berth-hostile-sentinel');
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-hostile-cache'),
    })._unsafeUnwrap();
    good = await commitFiles(repo, { 'index.html': 'good\n' }, { message: 'good' });
    (await publishCommit({ source, commit: good, target: directoryTarget(dir) }))._unsafeUnwrap();
  });

  it('refuses d -> . beside a directory d/ with d/d/…/e -> ../../… as a whole; nothing lands outside', async () => {
    // On disk every `d` is the link, so `d/…/d/e` is `./e` at the release root, and
    // `e -> ../` × DEPTH is `/` (from its literal parent, DEPTH deep, it stays inside): a file under `d/…/d/e/<sentinel>/` would land in the sentinel.
    const deep = Array.from({ length: DEPTH }, () => 'd');
    const escaping = '../'.repeat(DEPTH);
    const sentinelPath = sentinel.split(sep).filter(Boolean);
    const bad = await commitRawTree(
      repo,
      [
        { name: 'index.html', content: 'HOSTILE\n' },
        { name: 'd', symlink: '.' },
        nested(deep, [
          { name: 'e', symlink: escaping },
          nested(['e', ...sentinelPath], [{ name: 'pwned', content: 'pwned\n' }]),
        ]),
      ],
      { message: 'hostile' },
    );

    const result = await publishCommit({ source, commit: bad, target: directoryTarget(dir) });

    expect(await readdir(sentinel)).toEqual([]);
    const error = result._unsafeUnwrapErr();
    if (!hasKind(error, 'UnsafeTree'))
      throw new Error(`expected UnsafeTree, got ${error.kind}: ${error.message}`);
    expect(error.commit).toBe(bad);
    const linkPath = [...deep, 'e'].join('/');
    expect(error.paths).toContainEqual(
      expect.objectContaining({ path: 'd', reason: 'duplicate-name' }),
    );
    expect(error.paths).toContainEqual(
      expect.objectContaining({ path: linkPath, reason: 'symlink-escapes' }),
    );
    expect(error.paths).toContainEqual(
      expect.objectContaining({
        path: `${linkPath}/${sentinelPath.join('/')}/pwned`,
        reason: 'below-symlink',
      }),
    );
    expect(error.message).toContain(linkPath);

    expect(await readlink(join(dir, 'current'))).toBe(`.berth/releases/${good}`);
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('good\n');
    expect(
      (await readdir(join(dir, '.berth/releases'))).filter((n) => !n.endsWith('.manifest')),
    ).toEqual([good]);
  });
});
