import { describe, expect, it } from 'vitest';
import {
  commitFiles,
  commitRawTree,
  useGitFixtures,
  writeRawTree,
  type BareRepo,
} from '../../../../test/support/git';
import { openGitSource, type GitSource } from './source';
import { ObjectStore } from './store';
import { diffTrees, type TreeEntry } from './tree';

const fixtures = useGitFixtures();

async function sourceFor(repo: BareRepo, maxTreeEntries?: number): Promise<GitSource> {
  const cacheDir = await fixtures.dir('berth-git-cache');
  return openGitSource({
    url: repo.url,
    cacheDir,
    ...(maxTreeEntries === undefined ? {} : { maxTreeEntries }),
  })._unsafeUnwrap();
}

const GITLINK = '1234567890abcdef1234567890abcdef12345678';

const summary = (entries: readonly TreeEntry[]) =>
  entries.map(({ path, mode, type }) => `${mode} ${type} ${path}`);

describe('listTree', () => {
  it('returns a hostile tree with its names intact and does not throw', async () => {
    const repo = await fixtures.repo('hostile');
    const commit = await commitRawTree(repo, [
      { name: '..', tree: [{ name: 'escape.txt', content: 'out\n' }] },
      { name: '.git', tree: [{ name: 'config', content: '[core]\n\tbare = false\n' }] },
      { name: '.GIT', tree: [{ name: 'hooks', content: 'x' }] },
      { name: '.', tree: [{ name: 'dot.txt', content: '.' }] },
      { name: 'passwd', symlink: '/etc/passwd' },
      { name: 'up', symlink: '../../../outside' },
      { name: 'vendor', gitlink: GITLINK },
      { name: 'run.sh', content: '#!/bin/sh\necho hi\n', mode: '100755' },
      { name: 'empty', content: '' },
      { name: 'back\\slash', content: 'b' },
    ]);
    const source = await sourceFor(repo);
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(commit);

    const entries = (await source.listTree(commit))._unsafeUnwrap();
    expect(summary(entries).sort()).toEqual(
      [
        '040000 tree .',
        '100644 blob ./dot.txt',
        '040000 tree ..',
        '100644 blob ../escape.txt',
        '040000 tree .GIT',
        '100644 blob .GIT/hooks',
        '040000 tree .git',
        '100644 blob .git/config',
        '100644 blob back\\slash',
        '100644 blob empty',
        '120000 blob passwd',
        '100755 blob run.sh',
        '120000 blob up',
        '160000 commit vendor',
      ].sort(),
    );
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('vendor')?.oid).toBe(GITLINK);
    const target = async (path: string) =>
      (await source.readBlob(byPath.get(path)?.oid ?? ''))._unsafeUnwrap().toString();
    expect(await target('passwd')).toBe('/etc/passwd');
    expect(await target('up')).toBe('../../../outside');
    expect(await target('.git/config')).toBe('[core]\n\tbare = false\n');
    expect(await target('empty')).toBe('');
  });

  it('keeps unicode and space-containing names, and deep nesting', async () => {
    const repo = await fixtures.repo('names');
    const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/');
    const files = {
      'dir with space/naïve café.html': 'café\n',
      '日本語/ファイル.txt': 'こんにちは\n',
      'emoji 🎉.txt': '🎉\n',
      [`${deep}/leaf.txt`]: 'deep\n',
    };
    const commit = await commitFiles(repo, files);
    const source = await sourceFor(repo);
    (await source.resolve(commit))._unsafeUnwrap();
    const entries = (await source.listTree(commit))._unsafeUnwrap();
    const blobs = entries.filter((e) => e.type === 'blob');
    expect(blobs.map((e) => e.path).sort()).toEqual(Object.keys(files).sort());
    for (const blob of blobs) {
      const content = (await source.readBlob(blob.oid))._unsafeUnwrap().toString('utf8');
      expect(content).toBe(files[blob.path as keyof typeof files]);
    }
    expect(entries.filter((e) => e.type === 'tree')).toHaveLength(2 + 40);
  });

  it('gives up on a tree that names one subtree at every level (a tree bomb)', async () => {
    const repo = await fixtures.repo('bomb');
    let tree = await writeRawTree(repo, [{ name: 'f', content: 'x' }]);
    for (let level = 0; level < 16; level++) {
      tree = await writeRawTree(repo, [
        { name: 'a', mode: '040000', oid: tree },
        { name: 'b', mode: '040000', oid: tree },
      ]);
    }
    const commit = await commitRawTree(repo, [{ name: 'bomb', mode: '040000', oid: tree }]);
    const source = await sourceFor(repo, 10_000);
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(commit);
    expect((await source.listTree(commit))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitObject',
      problem: 'too-large',
    });
  });
});

describe('readBlob', () => {
  it('refuses what is not a blob, and what is no object id', async () => {
    const repo = await fixtures.repo('read-blob');
    const commit = await commitFiles(repo, { 'a/b.txt': 'b\n' });
    const source = await sourceFor(repo);
    (await source.resolve('main'))._unsafeUnwrap();
    const dir = (await source.listTree(commit))._unsafeUnwrap().find((e) => e.path === 'a');
    expect((await source.readBlob(dir?.oid ?? ''))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitObject',
      problem: 'wrong-type',
    });
    expect((await source.readBlob('../../etc/passwd'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'oid',
    });
    expect((await source.readBlob('0'.repeat(40)))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitObject',
      problem: 'missing',
    });
  });
});

describe('diffTrees', () => {
  it('reports added, modified and deleted files between two commits', async () => {
    const repo = await fixtures.repo('diff');
    const before = await commitFiles(repo, {
      'index.html': 'v1\n',
      'same.html': 'same\n',
      'bin/tool': { content: '#!/bin/sh\n' },
      link: { symlink: 'index.html' },
      'gone/x.txt': 'x\n',
      'becomes-dir': 'file\n',
    });
    const after = await commitFiles(repo, {
      'index.html': 'v2\n',
      'bin/tool': { content: '#!/bin/sh\n', mode: '100755' },
      link: { symlink: 'same.html' },
      'gone/x.txt': null,
      'becomes-dir': null,
      'becomes-dir/inner.txt': 'inner\n',
      'new.html': 'new\n',
    });
    const source = await sourceFor(repo);
    (await source.resolve(before))._unsafeUnwrap();
    (await source.resolve(after))._unsafeUnwrap();

    const diff = (await source.diffTrees(before, after))._unsafeUnwrap();
    expect(diff.added.map((e) => e.path).sort()).toEqual(['becomes-dir/inner.txt', 'new.html']);
    expect(summary(diff.modified).sort()).toEqual([
      '100644 blob index.html',
      '100755 blob bin/tool',
      '120000 blob link',
    ]);
    expect([...diff.deleted].sort()).toEqual(['becomes-dir', 'gone/x.txt']);
    expect(diff.gitlinks).toEqual([]);

    const everything = (await source.diffTrees(undefined, before))._unsafeUnwrap();
    expect(everything.added).toHaveLength(6);
    expect(everything.modified).toEqual([]);
    expect(everything.deleted).toEqual([]);
  });

  it('reports new and moved gitlinks apart from the files', async () => {
    const repo = await fixtures.repo('diff-gitlinks');
    const before = await commitRawTree(repo, [{ name: 'a.txt', content: 'a' }]);
    const after = await commitRawTree(repo, [
      { name: 'a.txt', content: 'a' },
      { name: 'sub', gitlink: GITLINK },
    ]);
    const source = await sourceFor(repo);
    (await source.resolve(before))._unsafeUnwrap();
    (await source.resolve(after))._unsafeUnwrap();
    const diff = (await source.diffTrees(before, after))._unsafeUnwrap();
    expect(diff).toMatchObject({ added: [], modified: [], deleted: [] });
    expect(summary(diff.gitlinks)).toEqual(['160000 commit sub']);
  });

  it('reads only the subtrees that changed', async () => {
    const repo = await fixtures.repo('diff-cost');
    const site: Record<string, string> = { 'index.html': 'v1\n' };
    for (let i = 0; i < 30; i++) site[`static/s${i}/file.css`] = `s${i}\n`;
    const before = await commitFiles(repo, site);
    const after = await commitFiles(repo, { 'index.html': 'v2\n' });
    const source = await sourceFor(repo);
    (await source.resolve(before))._unsafeUnwrap();
    (await source.resolve(after))._unsafeUnwrap();

    const store = new ObjectStore(source.url, source.cacheDir);
    const reads: string[] = [];
    const read = (oid: string) => {
      reads.push(oid);
      return store.read(oid);
    };
    const diff = (await diffTrees(source.url, read, before, after, 1_000))._unsafeUnwrap();
    expect(diff.modified.map((e) => e.path)).toEqual(['index.html']);
    expect(reads).toHaveLength(4); // two commits and their two root trees; static/ is skipped
  });
});
