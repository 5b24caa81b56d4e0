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
});
