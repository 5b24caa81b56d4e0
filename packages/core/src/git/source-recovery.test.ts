import { randomBytes } from 'node:crypto';
import { readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, workClone } from '../../../../test/support/git';
import {
  openTestSource,
  recordingLogger,
  repoWithHistory,
} from '../../../../test/support/git-source';
import { serviceEnv } from '../../../../test/support/services';
import { resolveLocked } from './resolve';
import { ObjectStore } from './store';

const fixtures = useGitFixtures();

/** Accepts connections and never answers: a fetch from it can only end by timing out. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = await silentServer();
  await server.close();
  return server.port;
}

describe('fetch failures', () => {
  it('reports a port where nothing listens as GitFetch unreachable, well within the timeout', async () => {
    const port = await closedPort();
    const source = await openTestSource(fixtures, {
      url: `http://127.0.0.1:${port}/repo.git`,
      timeoutMs: 10_000,
    });
    const started = Date.now();
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitFetch',
      reason: 'unreachable',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a server that never answers after timeoutMs', async () => {
    const server = await silentServer();
    try {
      const source = await openTestSource(fixtures, {
        url: `http://127.0.0.1:${server.port}/repo.git`,
        timeoutMs: 300,
      });
      const started = Date.now();
      expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitFetch',
        reason: 'timeout',
      });
      expect(Date.now() - started).toBeLessThan(300 + 5_000);
    } finally {
      await server.close();
    }
  });

  it('reports a path that is no repository as GitFetch not-a-repository', async () => {
    const source = await openTestSource(fixtures, {
      url: `${serviceEnv().gitBaseUrl}/no-such-repo-here.git`,
    });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitFetch',
      reason: 'not-a-repository',
      statusCode: 404,
    });
  });

  it('stops at once when the signal fires', async () => {
    const source = await openTestSource(fixtures, { url: serviceEnv().gitUrl });
    const result = await source.resolve('main', { signal: AbortSignal.abort() });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
  });

  it('refuses to write into a non-empty directory it did not make, and leaves it alone', async () => {
    const cacheDir = await fixtures.dir('berth-not-a-cache');
    await writeFile(join(cacheDir, 'precious.txt'), 'keep me\n');
    const source = await openTestSource(fixtures, { url: serviceEnv().gitUrl, cacheDir });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitFetch',
      reason: 'cache',
    });
    expect(await readdir(cacheDir)).toEqual(['precious.txt']);
  });
});

describe('recovery', () => {
  it('follows a force-push to a commit unrelated to the cached one', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'force-push');
    const source = await openTestSource(fixtures, { url: repo.url });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(tip);
    const work = await workClone(repo.url);
    try {
      await work.run(['checkout', '-q', '--orphan', 'rewritten']);
      await work.run(['rm', '-rqf', '.']);
      await writeFile(join(work.dir, 'new.html'), 'rewritten history\n');
      await work.run(['add', 'new.html']);
      await work.run(['commit', '-qm', 'rewrite']);
      await work.run(['push', '-q', '--force', 'origin', 'HEAD:main']);
      const rewritten = await work.run(['rev-parse', 'HEAD']);
      expect((await source.resolve('main'))._unsafeUnwrap()).toBe(rewritten);
      expect((await source.listTree(rewritten))._unsafeUnwrap().map((e) => e.path)).toEqual([
        'new.html',
      ]);
    } finally {
      await work.cleanup();
    }
  });

  it('follows a branch moved back to a commit older than the shallow cache', async () => {
    const { repo, first } = await repoWithHistory(fixtures, 'backwards');
    const source = await openTestSource(fixtures, { url: repo.url });
    (await source.resolve('main'))._unsafeUnwrap();
    const work = await workClone(repo.url);
    try {
      await work.run(['push', '-q', '--force', 'origin', `${first}:refs/heads/main`]);
    } finally {
      await work.cleanup();
    }
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(first);
    const index = (await source.listTree(first))
      ._unsafeUnwrap()
      .find((e) => e.path === 'index.html');
    expect((await source.readBlob(index?.oid ?? ''))._unsafeUnwrap().toString()).toBe('one\n');
  });

  it('fetches again when the cached pack files were deleted', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'deleted-packs');
    const source = await openTestSource(fixtures, { url: repo.url });
    (await source.resolve('main'))._unsafeUnwrap();
    const packDir = join(source.cacheDir, 'objects', 'pack');
    for (const file of await readdir(packDir)) await rm(join(packDir, file));
    expect((await source.resolve(tip))._unsafeUnwrap()).toBe(tip);
    expect((await source.listTree(tip))._unsafeUnwrap()).toHaveLength(4);
  });

  it('starts the cache again with a fresh shallow clone when its packs are corrupt', async () => {
    const { repo, tip } = await repoWithHistory(fixtures, 'corrupt-packs');
    const cacheDir = await fixtures.dir('berth-git-cache');
    (
      await (await openTestSource(fixtures, { url: repo.url, cacheDir })).resolve('main')
    )._unsafeUnwrap();
    const packDir = join(cacheDir, 'objects', 'pack');
    for (const file of await readdir(packDir)) {
      if (file.endsWith('.pack')) await truncate(join(packDir, file), 64);
    }
    const logger = recordingLogger();
    const source = await openTestSource(fixtures, { url: repo.url, cacheDir, logger });
    expect((await source.resolve(tip))._unsafeUnwrap()).toBe(tip);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect((await source.listTree(tip))._unsafeUnwrap()).toHaveLength(4);
  });
});

describe('compaction', () => {
  it('starts the cache again once every fetch has left it more packs than allowed', async () => {
    const repo = await fixtures.repo('compaction');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const url = repo.url;
    const store = new ObjectStore(url, cacheDir);
    const logger = recordingLogger();
    const context = { url, cacheDir, store, depth: 1, timeoutMs: 30_000, auth: undefined, logger };
    const packs = async () =>
      (await readdir(join(cacheDir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack'));
    for (let i = 0; i < 4; i++) {
      const commit = await commitFiles(repo, { 'index.html': `v${i}\n` });
      const resolved = await resolveLocked(
        { ...context, maxPacks: 2, compactFloorBytes: Infinity },
        { ref: 'main' },
      );
      expect(resolved._unsafeUnwrap()).toBe(commit);
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ reason: 'the cache holds 3 packs' });
    expect((await packs()).length).toBeLessThanOrEqual(2);
  });
});

describe('concurrency and cost', () => {
  it('serialises resolves on one cache directory, from one source or two', async () => {
    const { repo, first, second, tip } = await repoWithHistory(fixtures, 'concurrent');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const a = await openTestSource(fixtures, { url: repo.url, cacheDir });
    const b = await openTestSource(fixtures, { url: repo.url, cacheDir });
    const results = await Promise.all([
      a.resolve('main'),
      b.resolve(first),
      a.resolve(second),
      b.resolve('HEAD'),
      a.resolve(first),
    ]);
    expect(results.map((r) => r._unsafeUnwrap())).toEqual([tip, first, second, tip, first]);
    for (const commit of [first, second, tip]) {
      expect((await b.listTree(commit)).isOk()).toBe(true);
    }
  });

  it('fetches only the change: a 1-file commit on a 200-file site comes as a small pack', async () => {
    const repo = await fixtures.repo('incremental');
    const site: Record<string, string> = {};
    for (let i = 0; i < 200; i++) site[`pages/p${i}.html`] = randomBytes(2_048).toString('hex');
    await commitFiles(repo, site);
    const source = await openTestSource(fixtures, { url: repo.url });
    (await source.resolve('main'))._unsafeUnwrap();
    const packDir = join(source.cacheDir, 'objects', 'pack');
    const packSizes = async () => {
      const sizes = new Map<string, number>();
      for (const f of await readdir(packDir))
        if (f.endsWith('.pack')) sizes.set(f, (await stat(join(packDir, f))).size);
      return sizes;
    };
    const before = await packSizes();
    const changed = await commitFiles(repo, { 'pages/p7.html': 'changed\n' });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(changed);
    const added = [...(await packSizes())].filter(([name]) => !before.has(name));
    expect(added).toHaveLength(1);
    // The change, plus the trees it was sent as deltas against (whole, so the pack is
    // self-contained: see pack-ingest.ts) — the 200-entry `pages/` tree is ~7 KiB of names.
    expect(added[0]?.[1]).toBeLessThan(16_384);
    expect([...before.values()][0]).toBeGreaterThan(100_000);
  });
});
