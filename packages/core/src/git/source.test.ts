import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commitFiles, git, useGitFixtures } from '../../../../test/support/git';
import {
  openTestSource,
  recordingLogger,
  repoWithHistory,
} from '../../../../test/support/git-source';
import { serviceEnv } from '../../../../test/support/services';
import { openGitSource } from './source';

const fixtures = useGitFixtures();

describe('openGitSource', () => {
  it('checks its options without touching the disk or the network', () => {
    const url = 'http://127.0.0.1:1/nothing-here.git';
    const source = openGitSource({ url })._unsafeUnwrap();
    const digest = createHash('sha256').update(url).digest('hex');
    expect(source.cacheDir).toBe(join(tmpdir(), 'berth-git-cache', digest));
  });

  it.each([
    ['file:///srv/repo.git', 'url'],
    ['ssh://git:secret@127.0.0.1/repo.git', 'url'],
    ["git@127.0.0.1:it's.git", 'url'],
    ['not a url', 'url'],
    ['http://user:secret@127.0.0.1/repo.git', 'url'],
  ])('refuses %s', (url, field) => {
    expect(openGitSource({ url })._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field,
    });
  });

  it('refuses a depth that is not a positive integer', () => {
    const url = serviceEnv().gitUrl;
    expect(openGitSource({ url, depth: 0 })._unsafeUnwrapErr()).toMatchObject({ field: 'depth' });
  });
});

describe('resolve', () => {
  it('resolves a branch, its full ref name, HEAD and a full SHA to the same commit', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'resolve');
    const source = await openTestSource(fixtures, { url: repo.url });
    for (const revision of ['main', 'refs/heads/main', 'HEAD', tip, tip.toUpperCase()]) {
      expect(await source.resolve(revision)).toEqual(expect.objectContaining({ value: tip }));
    }
  });

  it('peels an annotated tag to its commit, by short and by full name', async () => {
    const { repo, second } = await repoWithHistory(fixtures, 'tags');
    await git(['tag', '-a', 'v1', '-m', 'release 1', second], { gitDir: repo.dir });
    await git(['tag', 'light', second], { gitDir: repo.dir });
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('refs/tags/v1'))._unsafeUnwrap()).toBe(second);
    expect((await source.resolve('v1'))._unsafeUnwrap()).toBe(second);
    expect((await source.resolve('light'))._unsafeUnwrap()).toBe(second);
  });

  it('fetches shallowly by default: the commit without its history', async () => {
    const { repo, second, tip } = await repoWithHistory(fixtures, 'shallow');
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(tip);
    expect((await readFile(join(source.cacheDir, 'shallow'), 'utf8')).trim()).toBe(tip);
    expect(await source.listTree(second)).toEqual(
      expect.objectContaining({
        error: expect.objectContaining({ kind: 'GitObject', problem: 'missing' }),
      }),
    );
  });

  it('fetches all history with depth Infinity', async () => {
    const { repo, first, tip } = await repoWithHistory(fixtures, 'deep');
    const source = await openTestSource(fixtures, { url: repo.url, depth: Infinity });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(tip);
    expect((await source.listTree(first))._unsafeUnwrap().map((e) => e.path)).toContain(
      'css/site.css',
    );
    await expect(stat(join(source.cacheDir, 'shallow'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fetches a commit by SHA that no branch points at', async () => {
    const { repo, first } = await repoWithHistory(fixtures, 'by-sha');
    const source = await openTestSource(fixtures, { url: repo.url });
    (await source.resolve('main'))._unsafeUnwrap();
    expect((await source.resolve(first))._unsafeUnwrap()).toBe(first);
    const paths = (await source.listTree(first))._unsafeUnwrap().map((e) => e.path);
    expect(paths).toEqual(['css', 'css/site.css', 'index.html']);
  });

  it('answers a SHA already in the cache without asking the server', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'cached');
    const auth = vi.fn(() => undefined);
    const source = await openTestSource(fixtures, { url: repo.url, auth });
    (await source.resolve(tip))._unsafeUnwrap();
    expect(auth).toHaveBeenCalledTimes(1);
    expect((await source.resolve(tip))._unsafeUnwrap()).toBe(tip);
    expect(auth).toHaveBeenCalledTimes(1);
  });

  it('reports any revision of an empty repository as UnknownRevision', async () => {
    const repo = await fixtures.repo('empty');
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'UnknownRevision',
      revision: 'main',
    });
  });

  it('reports a branch the repository does not have as UnknownRevision', async () => {
    const { repo } = await repoWithHistory(fixtures, 'unknown-ref');
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('no-such-branch'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'UnknownRevision',
      url: repo.url,
      revision: 'no-such-branch',
    });
  });

  it('reports an unknown SHA as UnknownRevision and keeps the cache', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'unknown-sha');
    const logger = recordingLogger();
    const source = await openTestSource(fixtures, { url: repo.url, logger });
    (await source.resolve('main'))._unsafeUnwrap();
    const missing = 'deadbeef'.repeat(5);
    expect((await source.resolve(missing))._unsafeUnwrapErr()).toMatchObject({
      kind: 'UnknownRevision',
      revision: missing,
    });
    expect(logger.warn).not.toHaveBeenCalled();
    expect((await source.resolve(tip))._unsafeUnwrap()).toBe(tip);
  });

  it('refuses a revision that is no ref name before any I/O', async () => {
    const source = await openTestSource(fixtures, { url: serviceEnv().gitUrl });
    for (const revision of ['', 'a..b', 'main~1', 'has space', '-x', 'abc123']) {
      const result = await source.resolve(revision);
      if (revision === 'abc123') expect(result._unsafeUnwrapErr().kind).toBe('UnknownRevision');
      else
        expect(result._unsafeUnwrapErr()).toMatchObject({
          kind: 'InvalidInput',
          field: 'revision',
        });
    }
  });
});

describe('authentication', () => {
  it('reports GitAuth for a private repository fetched without credentials', async () => {
    const repo = await fixtures.repo('private-none', { private: true });
    await commitFiles(repo, { 'index.html': 'secret\n' });
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitAuth',
      statusCode: 401,
      url: repo.url,
    });
  });

  it('asks the callback before every fetch, so rotated credentials work without a restart', async () => {
    const { gitUser, gitPassword } = serviceEnv();
    const repo = await fixtures.repo('private-rotate', { private: true });
    const first = await commitFiles(repo, { 'index.html': 'v1\n' });
    const answers = [
      { username: gitUser, password: 'stale-password' },
      { username: gitUser, password: gitPassword },
      { username: gitUser, password: gitPassword },
    ];
    const auth = vi.fn(() => answers.shift());
    const source = await openTestSource(fixtures, { url: repo.url, auth });

    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({ kind: 'GitAuth' });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(first);
    const second = await commitFiles(repo, { 'index.html': 'v2\n' });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(second);
    expect(auth).toHaveBeenCalledTimes(3);
  });

  it('reports a failing callback as GitAuth without fetching', async () => {
    const source = await openTestSource(fixtures, {
      url: serviceEnv().gitAuthUrl,
      auth: () => Promise.reject(new Error('vault sealed')),
    });
    const error = (await source.resolve('main'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'GitAuth' });
    expect(error.message).toContain('vault sealed');
  });
});
