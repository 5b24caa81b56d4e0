import { describe, expect, it } from 'vitest';
import { judgeTree, type TreeEntry } from './tree-safety';

const blob = (path: string, mode = '100644'): TreeEntry => ({
  path,
  mode,
  type: 'blob',
  oid: 'a'.repeat(40),
});
const link = (path: string): TreeEntry => ({
  path,
  mode: '120000',
  type: 'blob',
  oid: 'b'.repeat(40),
});

function judge(entries: TreeEntry[], links: Record<string, string> = {}) {
  return judgeTree(entries, new Map(Object.entries(links)));
}

describe('judgeTree', () => {
  it('accepts an ordinary site with in-tree symlinks, unicode and spaces', () => {
    const verdict = judge(
      [
        blob('index.html'),
        blob('bin/run.sh', '100755'),
        blob('assets/img/logo.png'),
        blob('ünïcødé/file with spaces.txt'),
        blob('empty'),
        link('latest'),
        link('assets/up'),
        link('assets/chain'),
      ],
      { latest: 'index.html', 'assets/up': '../index.html', 'assets/chain': 'up' },
    );
    expect(verdict).toEqual({ unsafe: [], gitlinks: [] });
  });

  it.each([
    ['..', 'dot-segment'],
    ['a/../b', 'dot-segment'],
    ['./a', 'dot-segment'],
    ['/etc/passwd', 'absolute-path'],
    ['a//b', 'empty-segment'],
    ['.git/config', 'git-directory'],
    ['sub/.GIT/hooks/post-checkout', 'git-directory'],
  ])('refuses the path %s (%s)', (path, reason) => {
    expect(judge([blob(path)]).unsafe).toEqual([{ path, reason }]);
  });

  it.each([
    ['abs', '/etc/passwd', 'symlink-absolute'],
    ['up', '..', 'symlink-escapes'],
    ['deep/up', '../../x', 'symlink-escapes'],
    ['sneaky', 'a/../../x', 'symlink-escapes'],
  ])('refuses the symlink %s -> %s', (path, target, reason) => {
    expect(judge([link(path)], { [path]: target }).unsafe).toEqual([
      { path, reason, detail: target },
    ]);
  });

  it('follows chains of symlinks the way the kernel would', () => {
    // sub/s2 -> .. is inside; sub/l -> s2/../.. looks inside on paper but leaves through s2.
    const verdict = judge([link('sub/s2'), link('sub/l')], { 'sub/s2': '..', 'sub/l': 's2/../..' });
    expect(verdict.unsafe.map((u) => [u.path, u.reason])).toEqual([['sub/l', 'symlink-escapes']]);
  });

  it('reports a symlink loop instead of spinning', () => {
    const verdict = judge([link('a'), link('b'), link('c')], { a: 'b', b: 'a', c: 'a/x' });
    expect(verdict.unsafe.map((u) => u.reason)).toEqual([
      'symlink-loop',
      'symlink-loop',
      'symlink-loop',
    ]);
  });

  it('reports gitlinks without refusing the tree', () => {
    const verdict = judge([
      blob('index.html'),
      { path: 'vendor/lib', mode: '160000', type: 'commit', oid: 'c'.repeat(40) },
    ]);
    expect(verdict).toEqual({
      unsafe: [],
      gitlinks: [{ path: 'vendor/lib', commit: 'c'.repeat(40) }],
    });
  });

  it('names the entries of a refused directory rather than the directory', () => {
    const verdict = judge([
      { path: '..', mode: '040000', type: 'tree', oid: 'd'.repeat(40) },
      blob('../x'),
    ]);
    expect(verdict.unsafe.map((u) => u.path)).toEqual(['../x']);
  });

  it('names every offending path, not only the first', () => {
    const verdict = judge([blob('..'), blob('.git/x'), link('l'), blob('ok')], { l: '/' });
    expect(verdict.unsafe.map((u) => u.path)).toEqual(['..', '.git/x', 'l']);
  });

  const dir = (path: string): TreeEntry => ({
    path,
    mode: '040000',
    type: 'tree',
    oid: 'd'.repeat(40),
  });
  const reasons = (verdict: ReturnType<typeof judge>) =>
    verdict.unsafe.map((u) => [u.path, u.reason]);

  it('refuses a link to . beside a directory of the same name, and the escape hidden under it', () => {
    // On disk `d/d/d/e` is `./e` (every `d` is the link), so `e -> ../../..` climbs out of the
    // release; read from its literal parent it looks like it stays at the root.
    const verdict = judge(
      [
        link('d'),
        dir('d'),
        dir('d/d'),
        dir('d/d/d'),
        link('d/d/d/e'),
        dir('d/d/d/e'),
        blob('d/d/d/e/etc/cron.d/evil'),
      ],
      { d: '.', 'd/d/d/e': '../../..' },
    );
    expect(reasons(verdict)).toEqual([
      ['d', 'duplicate-name'],
      ['d/d', 'below-symlink'],
      ['d/d/d', 'below-symlink'],
      ['d/d/d/e', 'symlink-escapes'],
      ['d/d/d/e/etc/cron.d/evil', 'below-symlink'],
    ]);
    expect(verdict.unsafe[3]?.detail).toBe('../../.. (from ., where d/d/d really is)');
  });

  it('resolves a link from its real directory, not its literal parent', () => {
    // Only the links: no directory entry names `d`, and `d/e -> ..` is harmless on paper.
    const verdict = judge([link('d'), link('d/e')], { d: '.', 'd/e': '..' });
    expect(reasons(verdict)).toEqual([['d/e', 'symlink-escapes']]);
  });

  it('refuses a link deep under real directories that climbs out with many ../', () => {
    const deep = Array.from({ length: 12 }, () => 'd').join('/');
    const verdict = judge([link(`${deep}/e`)], { [`${deep}/e`]: '../'.repeat(13) });
    expect(reasons(verdict)).toEqual([[`${deep}/e`, 'symlink-escapes']]);
  });

  it('refuses two entries with one name, whatever their kinds', () => {
    const verdict = judge(
      [blob('index.html'), blob('index.html'), link('x'), blob('x'), blob('ok')],
      {
        x: 'ok',
      },
    );
    expect(verdict.unsafe).toEqual([
      { path: 'index.html', reason: 'duplicate-name', detail: '2 entries' },
      { path: 'x', reason: 'duplicate-name', detail: '2 entries' },
    ]);
  });

  it('refuses an entry below a symlink, even one that stays inside', () => {
    const verdict = judge([dir('real'), blob('real/a'), link('alias'), blob('alias/b')], {
      alias: 'real',
    });
    expect(verdict.unsafe).toEqual([{ path: 'alias/b', reason: 'below-symlink', detail: 'alias' }]);
  });

  it('refuses an entry below a file', () => {
    const verdict = judge([blob('f'), blob('f/x')]);
    expect(verdict.unsafe).toEqual([{ path: 'f/x', reason: 'below-file', detail: 'f' }]);
  });
});
