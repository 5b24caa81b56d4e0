// The origin request counter the propagation bench and the carried-change tests read: proven
// against the real git server, with isomorphic-git, berth's own source and the host's git.
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git as gitCli, useGitFixtures } from './support/git';
import {
  classifyGitRequest,
  startGitRequestCounter,
  type GitRequestCounter,
} from './support/git-request-counter';
import { openTestSource } from './support/git-source';
import { serviceEnv } from './support/services';

describe('classifyGitRequest', () => {
  it('names the two upload-pack endpoints and nothing else', () => {
    expect(classifyGitRequest('GET', '/r.git/info/refs?service=git-upload-pack')).toBe(
      'advertisement',
    );
    expect(classifyGitRequest('POST', '/r.git/git-upload-pack')).toBe('upload-pack');
    expect(classifyGitRequest('GET', '/r.git/info/refs?service=git-receive-pack')).toBe('other');
    expect(classifyGitRequest('POST', '/r.git/git-receive-pack')).toBe('other');
    expect(classifyGitRequest('GET', '/r.git/info/refs')).toBe('other');
    expect(classifyGitRequest('GET', '/r.git/git-upload-pack')).toBe('other');
    expect(classifyGitRequest('GET', '/r.git/HEAD')).toBe('other');
  });
});

describe('the git request counter, in front of the real git server', () => {
  const fixtures = useGitFixtures();
  let counter: GitRequestCounter;
  beforeAll(async () => {
    counter = await startGitRequestCounter(serviceEnv().gitBaseUrl);
  });
  afterAll(() => counter.close());

  async function isomorphicFetch(url: string, gitdir: string) {
    return git.fetch({ fs, http, gitdir, url, ref: 'main', singleBranch: true, depth: 1 });
  }

  it('counts a bare isomorphic-git fetch as two requests: the advertisement and one upload-pack', async () => {
    const repo = await fixtures.repo('counter-isogit');
    const sha = await commitFiles(repo, { 'index.html': 'one\n' });
    const gitdir = await fixtures.dir('counter-isogit-dir');
    await git.init({ fs, gitdir, bare: true });
    await git.addRemote({ fs, gitdir, remote: 'origin', url: counter.url(repo.url) });
    counter.take();
    const fetched = await isomorphicFetch(counter.url(repo.url), gitdir);
    expect(fetched.fetchHead).toBe(sha);
    const counts = counter.take();
    expect(counts).toMatchObject({ advertisements: 1, uploadPacks: 1, other: 0, origin: 2 });
    const path = new URL(repo.url).pathname;
    expect(counts.requests).toEqual([
      { kind: 'advertisement', method: 'GET', path: `${path}/info/refs?service=git-upload-pack` },
      { kind: 'upload-pack', method: 'POST', path: `${path}/git-upload-pack` },
    ]);
    // take() started again from zero
    expect(counter.counts()).toMatchObject({ origin: 0, requests: [] });
  });

  it("counts berth's fetch of a new commit as two requests, and a commit already cached as none", async () => {
    const repo = await fixtures.repo('counter-berth');
    await commitFiles(repo, { 'index.html': 'one\n' });
    const second = await commitFiles(repo, { 'index.html': 'two\n' });
    const source = await openTestSource(fixtures, { url: counter.url(repo.url) });
    counter.take();
    const resolved = await source.resolve(second);
    expect(resolved._unsafeUnwrap()).toBe(second);
    expect(counter.take()).toMatchObject({ advertisements: 1, uploadPacks: 1, origin: 2 });
    expect((await source.resolve(second))._unsafeUnwrap()).toBe(second);
    expect(counter.take()).toMatchObject({ origin: 0 });
  });

  it("counts every request the host's git makes, and what is not upload-pack apart", async () => {
    const repo = await fixtures.repo('counter-cli');
    const sha = await commitFiles(repo, { 'index.html': 'one\n' });
    const clone = join(await fixtures.dir('counter-cli-clone'), 'site');
    counter.take();
    await gitCli(['clone', '-q', counter.url(repo.url), clone]);
    const counts = counter.take();
    // One advertisement; one upload-pack POST with protocol v0/v1, two (ls-refs, fetch) with v2.
    expect(counts.advertisements).toBe(1);
    expect(counts.uploadPacks).toBeGreaterThanOrEqual(1);
    expect(counts.origin).toBe(counts.advertisements + counts.uploadPacks);
    expect((await gitCli(['-C', clone, 'rev-parse', 'HEAD'])).trim()).toBe(sha);

    const missing = await fetch(`${counter.baseUrl}/no-such-repo.git/HEAD`);
    expect(missing.status).toBe(404);
    expect(counter.take()).toMatchObject({
      advertisements: 0,
      uploadPacks: 0,
      other: 1,
      origin: 0,
    });
  });

  it('refuses a URL on another server', () => {
    expect(() => counter.url('http://127.0.0.1:1/repo.git')).toThrow(/not on/);
  });
});
