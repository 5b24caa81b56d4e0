// The memory the first fetch of a big tree costs: the pack is streamed to disk and indexed from
// there (pack-receive.ts, pack-ingest.ts), never held whole. Each fetch runs in a process of its
// own (test/support/git-fetch-rss.ts) so its RSS is its own; a pack of random (incompressible)
// files must grow that process's peak RSS by well under the pack's size, over HTTP and over SSH.
// isomorphic-git's own way held the pack at least once (≈ 2× its size was measured).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { sshEnv, sshUrl } from '../../../../test/support/git-ssh';
import { openTestSource } from '../../../../test/support/git-source';
import { serviceEnv } from '../../../../test/support/services';
import { startSlowHttpProxy, type SlowHttpProxy } from '../../../../test/support/slow-http-proxy';

const run = promisify(execFile);
const fixtures = useGitFixtures();
const ROOT = join(__dirname, '..', '..', '..', '..');
const WORKER = join(ROOT, 'test', 'support', 'git-fetch-rss.ts');

const FILES = 48;
const FILE_BYTES = 4 * 1024 * 1024;
const PACK_MB = (FILES * FILE_BYTES) / 2 ** 20;
/** Half the pack: holding the pack once (as isomorphic-git does) would cross it. */
const MAX_GROWTH_MB = PACK_MB / 2;

interface Measured {
  readonly ms: number;
  readonly peakGrowthMb: number;
  readonly packBytes: number;
}

async function fetchInChild(job: object): Promise<Measured> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', WORKER, JSON.stringify(job)],
    { cwd: ROOT, timeout: 240_000, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Measured;
}

describe('the first fetch of a big tree', () => {
  let big: BareRepo;
  let bigCommit: string;
  let warm: BareRepo;
  let warmCommit: string;
  beforeAll(async () => {
    big = await fixtures.repo('fetch-memory');
    // Written file by file and packed by git without compression or delta search: the pack is
    // as large as the tree, and this process never holds the tree.
    const work = await fixtures.dir('berth-fetch-memory-work');
    await mkdir(join(work, 'big'));
    for (let i = 0; i < FILES; i++) {
      await writeFile(join(work, 'big', `${i}.bin`), randomBytes(FILE_BYTES));
    }
    const quick = ['-c', 'core.compression=0', '-c', 'pack.compression=0'];
    await git([...quick, '--work-tree', work, 'add', '-A'], { gitDir: big.dir });
    await git([...quick, '--work-tree', work, 'commit', '-qm', 'big'], { gitDir: big.dir });
    await git([...quick, 'repack', '-adq', '--window=0'], { gitDir: big.dir });
    await rm(work, { recursive: true, force: true });
    bigCommit = (await git(['rev-parse', 'main'], { gitDir: big.dir })).trim();
    warm = await fixtures.repo('fetch-memory-warm');
    warmCommit = await commitFiles(warm, { 'index.html': 'warm\n' });
  }, 120_000);

  const job = async (url: string, warmUrl: string, ssh = {}) => ({
    url,
    warmUrl,
    commit: bigCommit,
    warmCommit,
    cacheDir: await fixtures.dir('berth-fetch-memory-cache'),
    warmCacheDir: await fixtures.dir('berth-fetch-memory-warm'),
    ...ssh,
  });

  it(`over HTTP grows RSS by at most ${MAX_GROWTH_MB} MB for a ${PACK_MB} MB pack`, async () => {
    const measured = await fetchInChild(await job(big.url, warm.url));
    expect(measured.packBytes).toBeGreaterThan(FILES * FILE_BYTES);
    expect(measured.peakGrowthMb).toBeLessThanOrEqual(MAX_GROWTH_MB);
  }, 300_000);

  it(`over SSH grows RSS by at most ${MAX_GROWTH_MB} MB for a ${PACK_MB} MB pack`, async () => {
    const env = sshEnv();
    const measured = await fetchInChild(
      await job(sshUrl(big), sshUrl(warm), { sshKey: env.key, knownHosts: env.knownHosts }),
    );
    expect(measured.packBytes).toBeGreaterThan(FILES * FILE_BYTES);
    expect(measured.peakGrowthMb).toBeLessThanOrEqual(MAX_GROWTH_MB);
  }, 300_000);
});

describe('a server that stalls in the middle of a pack', () => {
  let proxy: SlowHttpProxy;
  let repo: BareRepo;
  beforeAll(async () => {
    proxy = await startSlowHttpProxy(serviceEnv().gitBaseUrl, 0, { stallAfterBytes: 256 * 1024 });
    repo = await fixtures.repo('stall-mid-pack');
    await commitFiles(repo, { 'big.bin': randomBytes(2 * 1024 * 1024).toString('base64') });
  });
  afterAll(() => proxy.close());

  /** What a failed fetch left in the cache's pack directory: it must be nothing. */
  const packFiles = async (cacheDir: string) =>
    readdir(join(cacheDir, 'objects', 'pack')).catch(() => [] as string[]);

  it('is given up after idleTimeoutMs, as GitFetch timeout, leaving no pack or part of one', async () => {
    const cacheDir = await fixtures.dir('berth-stall-cache');
    const source = await openTestSource(fixtures, {
      url: `${proxy.baseUrl}/${repo.name}.git`,
      cacheDir,
      timeoutMs: 30_000,
      idleTimeoutMs: 2_000,
    });
    const error = (await source.resolve('main'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'GitFetch', reason: 'timeout' });
    expect(error.message).toContain('2000 ms');
    expect(await packFiles(cacheDir)).toEqual([]);
  }, 40_000);

  it('is given up after timeoutMs, the whole operation, leaving no pack or part of one', async () => {
    const cacheDir = await fixtures.dir('berth-stall-cache');
    const source = await openTestSource(fixtures, {
      url: `${proxy.baseUrl}/${repo.name}.git`,
      cacheDir,
      timeoutMs: 3_000,
    });
    const error = (await source.resolve('main'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'GitFetch', reason: 'timeout' });
    expect(error.message).toContain('3000 ms');
    expect(await packFiles(cacheDir)).toEqual([]);
  }, 40_000);
});
