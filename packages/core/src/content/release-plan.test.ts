import { describe, expect, it } from 'vitest';
import { planRelease, subtree } from './release-plan';
import type { TreeEntry } from './tree-safety';

const f = (path: string, oid = 'a', mode = '100644'): TreeEntry => ({
  path,
  oid: oid.repeat(40).slice(0, 40),
  mode,
  type: 'blob',
});
const d = (path: string): TreeEntry => ({
  path,
  oid: 'd'.repeat(40),
  mode: '040000',
  type: 'tree',
});

describe('planRelease', () => {
  it('sends everything when there is no base', () => {
    const plan = planRelease(undefined, [d('a'), f('a/x'), f('b')]);
    expect(plan).toEqual({
      send: [f('a/x'), f('b')],
      added: ['a/x', 'b'],
      modified: [],
      deleted: [],
    });
  });

  it('sends only what was added or modified (content or mode) and lists what went', () => {
    const base = [
      f('keep'),
      f('edit', 'a'),
      f('chmod', 'a'),
      f('gone'),
      f('dir/x'),
      f('dir/sub/y'),
      f('stay/z'),
    ];
    const next = [f('keep'), f('edit', 'b'), f('chmod', 'a', '100755'), f('new'), f('stay/z')];
    const plan = planRelease(base, next);
    expect(plan.added).toEqual(['new']);
    expect(plan.modified).toEqual(['edit', 'chmod']);
    expect(plan.send.map((e) => e.path)).toEqual(['edit', 'chmod', 'new']);
    expect(plan.deleted).toEqual(['dir', 'gone']);
  });

  it('turns a directory into a file and a file into a directory', () => {
    const plan = planRelease([f('a/x'), f('b')], [f('a'), f('b/y')]);
    expect(plan.deleted).toEqual(['a', 'b']);
    expect(plan.added).toEqual(['a', 'b/y']);
  });

  it('treats a file that became a symlink as modified', () => {
    const plan = planRelease([f('l', 'a')], [f('l', 'a', '120000')]);
    expect(plan.modified).toEqual(['l']);
  });
});

describe('subtree', () => {
  it('keeps the entries under a folder without its prefix', () => {
    expect(subtree([f('site/index.html'), f('nginx/nginx.conf'), f('sitemap')], 'site/')).toEqual([
      f('index.html'),
    ]);
    expect(subtree([f('x')], '')).toEqual([f('x')]);
  });
});
