// Publishing into a data container over the Docker API: the first publish and a one-file change
// on sites of 10, 1,000 and 10,000 files, against `docker cp` of the same checked-out tree (the
// API's own floor); and what a 1 GB tree costs: its first fetch (RSS growth and time, over HTTP
// and over SSH, against the host's `git clone --depth 1 --no-checkout` of the same repository,
// side by side in one run: the host git is only the yardstick) and its publish (RSS growth).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Result } from 'neverthrow';
import {
  BERTH_VERSION,
  connectDocker,
  containerTarget,
  createDataContainer,
  openGitSource,
  publishCommit,
  type ContentTarget,
  type DockerConnection,
  type GitSource,
} from '@berth/core';
import { commitFiles, createBareRepo, type BareRepo } from '../test/support/git.ts';
import { sshEnv, sshUrl } from '../test/support/git-ssh.ts';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { docker as dockerCli, removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { median, quantile } from './lib/stats.ts';
import { target, type BenchReport } from './lib/report.ts';

const run = promisify(execFile);
const SIZES = [10, 1_000, 10_000] as const;
const FILE_BYTES = 4 * 1024;
const CHANGES = 5;
const BIG_FILES = Number(process.env.BERTH_BENCH_BIG_FILES ?? 200);
const BIG_FILE_BYTES = 5 * 1024 * 1024;
const IMAGE = process.env.BERTH_BENCH_IMAGE ?? 'berth-test/busybox:1';

function unwrap<T>(result: Result<T, { readonly message: string }>): T {
  if (result.isErr()) throw new Error(result.error.message);
  return result.value;
}

function site(files: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    out[`d${Math.floor(i / 100)}/page-${i}.html`] =
      `${i} ${randomBytes(FILE_BYTES / 2).toString('hex')}`.slice(0, FILE_BYTES);
  }
  return out;
}

interface Ctx {
  readonly docker: DockerConnection;
  readonly runId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scratch: string;
  readonly repos: BareRepo[];
}

async function freshTarget(
  ctx: Ctx,
  name: string,
): Promise<{ target: ContentTarget; container: string }> {
  const data = unwrap(
    await createDataContainer(ctx.docker, {
      name: `${name}-${ctx.runId}`,
      image: IMAGE,
      volumes: ['/www'],
      labels: ctx.labels,
      pull: 'never',
    }),
  );
  return {
    target: containerTarget(ctx.docker, { container: data.name, path: '/www', labels: ctx.labels }),
    container: data.name,
  };
}

async function freshSource(ctx: Ctx, repo: BareRepo): Promise<GitSource> {
  // isomorphic-git needs minutes for a gigabyte pack on a busy machine: no 60 s default here.
  const cacheDir = await mkdtemp(join(ctx.scratch, 'cache-'));
  return unwrap(openGitSource({ url: repo.url, cacheDir, timeoutMs: 30 * 60_000 }));
}

function row(group: string, method: string, samplesMs: number[], baseline = false): Measurement {
  const medianMs = median(samplesMs);
  return {
    group,
    method,
    ops: 1,
    baseline,
    samplesMs,
    medianMs,
    p95Ms: quantile(samplesMs, 0.95),
    perOpMs: medianMs,
    speedup: Number.NaN,
  };
}

async function measureSize(ctx: Ctx, files: number): Promise<Measurement[]> {
  const repo = await createBareRepo(`bench-publish-${files}`);
  ctx.repos.push(repo);
  const content = site(files);
  const first = await commitFiles(repo, content, { message: 'site' });
  const group = `${files} files`;

  // docker cp of the same tree, checked out, into a fresh data container.
  const checkout = await mkdtemp(join(ctx.scratch, 'checkout-'));
  await run('sh', ['-c', `git --git-dir="${repo.dir}" archive ${first} | tar -x -C "${checkout}"`]);
  const cp: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { container } = await freshTarget(ctx, `bench-cp-${files}-${i}`);
    const started = performance.now();
    await dockerCli(['cp', `${checkout}/.`, `${container}:/www/`]);
    cp.push(performance.now() - started);
  }

  // berth's first publish (the source has fetched the commit already; the fetch is its own row).
  const firsts: number[] = [];
  const fetches: number[] = [];
  let last: { target: ContentTarget; source: GitSource } | undefined;
  for (let i = 0; i < 3; i++) {
    const { target: t } = await freshTarget(ctx, `bench-first-${files}-${i}`);
    const source = await freshSource(ctx, repo);
    let started = performance.now();
    unwrap(await source.resolve(first));
    fetches.push(performance.now() - started);
    started = performance.now();
    unwrap(await publishCommit({ source, commit: first, target: t }));
    firsts.push(performance.now() - started);
    last = { target: t, source };
  }

  // One-file changes, each fetched and published incrementally onto the last target.
  const changes: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const sha = await commitFiles(
      repo,
      { 'd0/page-0.html': `change ${i} ${randomBytes(8).toString('hex')}` },
      { message: `change ${i}` },
    );
    const started = performance.now();
    const report = unwrap(
      await publishCommit({ source: last!.source, commit: sha, target: last!.target }),
    );
    changes.push(performance.now() - started);
    if (report.changed.modified.length !== 1 || report.bytesSent > FILE_BYTES)
      throw new Error(`not incremental: ${JSON.stringify(report.changed)}`);
  }
  if (last) unwrap(await last.target.close());
  await rm(checkout, { recursive: true, force: true });
  return [
    row(group, 'docker cp of the checked-out tree', cp, true),
    row(group, 'git fetch of the commit (isomorphic-git)', fetches),
    row(group, 'first publishCommit (container target)', firsts),
    row(group, '1-file change: fetch + publishCommit', changes),
  ];
}

interface FetchPhase {
  readonly ms: number;
  readonly rssGrowthMb: number;
}

/** A fresh process's first fetch of `commit` into `cacheDir` (test/support/git-fetch-rss.ts, as the memory tests run it). */
async function fetchPhase(job: Record<string, string | number>): Promise<FetchPhase> {
  const { stdout } = await run(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(import.meta.dirname, '../test/support/git-fetch-rss.ts'),
      // A gigabyte on a busy machine: a generous bound.
      JSON.stringify({ ...job, timeoutMs: 30 * 60_000 }),
    ],
    { cwd: join(import.meta.dirname, '..'), maxBuffer: 1 << 20 },
  );
  const line = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    peakGrowthMb: number;
  };
  return { ms: line.ms, rssGrowthMb: line.peakGrowthMb };
}

/** The host git's `clone --depth 1 --no-checkout` of `url`, timed (the yardstick only). */
async function hostClone(
  ctx: Ctx,
  url: string,
  ssh?: { key: string; knownHosts: string },
): Promise<number> {
  const into = await mkdtemp(join(ctx.scratch, 'host-clone-'));
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    ...(ssh
      ? {
          GIT_SSH_COMMAND: `ssh -i ${ssh.key} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=${ssh.knownHosts}`,
        }
      : {}),
  };
  const started = performance.now();
  await run('git', ['clone', '-q', '--depth', '1', '--no-checkout', url, join(into, 'clone')], {
    env,
  });
  const ms = performance.now() - started;
  await rm(into, { recursive: true, force: true });
  return ms;
}

interface BigTree {
  readonly rows: Measurement[];
  readonly publishRssGrowthMb: number;
  /** Per transport: berth's first fetch (RSS growth, time) and the host git's clone time. */
  readonly fetches: { transport: string; rssGrowthMb: number; timeRatio: number }[];
}

/** The large tree: its first fetch over HTTP and SSH (RSS growth, time vs host git), then its publish. */
async function measureBigTree(ctx: Ctx): Promise<BigTree> {
  const repo = await createBareRepo('bench-publish-big');
  ctx.repos.push(repo);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < BIG_FILES; i++) files[`big/${i}.bin`] = randomBytes(BIG_FILE_BYTES);
  const sha = await commitFiles(repo, files, { message: 'big' });
  for (const k of Object.keys(files)) delete files[k];
  global.gc?.();
  const warm = await createBareRepo('bench-publish-warm');
  ctx.repos.push(warm);
  const warmSha = await commitFiles(warm, { 'index.html': 'warm\n' });
  const mb = Math.round((BIG_FILES * BIG_FILE_BYTES) / 2 ** 20);
  const group = (transport: string) => `${mb} MB tree, first fetch over ${transport}`;
  const ssh = sshEnv();
  const transports = [
    { name: 'HTTP', url: repo.url, warmUrl: warm.url, ssh: undefined },
    {
      name: 'SSH',
      url: sshUrl(repo),
      warmUrl: sshUrl(warm),
      ssh: { key: ssh.key, knownHosts: ssh.knownHosts },
    },
  ];
  const rows: Measurement[] = [];
  const fetches: BigTree['fetches'] = [];
  let httpCache = '';
  for (const t of transports) {
    // Side by side: the host git's clone, then berth's first fetch of the same repository.
    const gitMs = await hostClone(ctx, t.url, t.ssh);
    const cacheDir = await mkdtemp(join(ctx.scratch, 'cache-'));
    const fetched = await fetchPhase({
      url: t.url,
      commit: sha,
      cacheDir,
      warmUrl: t.warmUrl,
      warmCommit: warmSha,
      warmCacheDir: await mkdtemp(join(ctx.scratch, 'warm-')),
      ...(t.ssh ? { sshKey: t.ssh.key, knownHosts: t.ssh.knownHosts } : {}),
    });
    if (t.name === 'HTTP') httpCache = cacheDir;
    rows.push(row(group(t.name), 'git clone --depth 1 --no-checkout (host git)', [gitMs], true));
    rows.push(row(group(t.name), 'berth first fetch (fresh process)', [fetched.ms]));
    fetches.push({
      transport: t.name,
      rssGrowthMb: Math.round(fetched.rssGrowthMb),
      timeRatio: Math.round((fetched.ms / gitMs) * 100) / 100,
    });
  }

  const { container } = await freshTarget(ctx, 'bench-big');
  // The publish runs in a fresh process too, from the cache the HTTP fetch filled.
  const { stdout } = await run(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(import.meta.dirname, 'publish/rss-phase.ts'),
      repo.url,
      httpCache,
      sha,
      container,
    ],
    { cwd: join(import.meta.dirname, '..'), maxBuffer: 1 << 20 },
  );
  const phase = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    rssGrowthMb: number;
  };
  rows.push(row(`${mb} MB tree`, 'first publishCommit', [phase.ms]));
  return { rows, publishRssGrowthMb: Math.round(phase.rssGrowthMb), fetches };
}

export const publishBench: BenchModule = {
  name: 'publish',
  description:
    'publishCommit into a data container vs docker cp; a one-file change at 10, 1,000 and 10,000 files; a 1 GB tree: first fetch over HTTP and SSH (RSS, time vs host git clone) and publish RSS',
  run: async (): Promise<BenchReport> => {
    const docker = unwrap(await connectDocker());
    const runId = `bench-publish-${Date.now().toString(36)}`;
    const labels = { 'io.berth.test-run': runId };
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-publish-'));
    const ctx: Ctx = { docker, runId, labels, scratch, repos: [] };
    return withCleanup(
      async () => {
        await removeLabelled(`io.berth.test-run=${runId}`);
        await Promise.all(ctx.repos.map((r) => r.cleanup()));
        await rm(scratch, { recursive: true, force: true });
      },
      async () => {
        const rows: Measurement[] = [];
        for (const size of SIZES) rows.push(...(await measureSize(ctx, size)));
        const big = await measureBigTree(ctx);
        rows.push(...big.rows);
        const at = (files: number, method: string) =>
          rows.find((r) => r.group === `${files} files` && r.method.startsWith(method))?.medianMs ??
          Number.NaN;
        const changeRatio = at(10_000, '1-file change') / at(10, '1-file change');
        const firstRatio = at(10_000, 'first publishCommit') / at(10_000, 'docker cp');
        return {
          name: 'publish',
          engine: {
            endpoint: docker.endpoint,
            engineVersion: docker.engineVersion,
            apiVersion: docker.apiVersion,
          },
          berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
          parameters: {
            sizes: SIZES,
            fileBytes: FILE_BYTES,
            changes: CHANGES,
            bigFiles: BIG_FILES,
            bigFileBytes: BIG_FILE_BYTES,
            image: IMAGE,
          },
          rows: rows.map((r) => {
            const base = rows.find((o) => o.group === r.group && o.baseline);
            return { ...r, speedup: base ? base.medianMs / r.medianMs : Number.NaN };
          }),
          ratios: {
            changeAt10000Over10: Math.round(changeRatio * 100) / 100,
            firstPublish10000OverDockerCp: Math.round(firstRatio * 100) / 100,
            bigTreePublishRssGrowthMb: big.publishRssGrowthMb,
            ...Object.fromEntries(
              big.fetches.flatMap((f) => [
                [`bigTreeFirstFetch${f.transport}RssGrowthMb`, f.rssGrowthMb],
                [`bigTreeFirstFetch${f.transport}OverHostGitClone`, f.timeRatio],
              ]),
            ),
          },
          // Targets are "at least" speed-ups: a cost ratio of r meets "≤ x" as x / r ≥ 1.
          targets: [
            target(
              '1-file change at 10,000 files ≤ 2× at 10 files (2 / ratio)',
              1,
              2 / changeRatio,
            ),
            target(
              'first publish of 10,000 files ≤ 1.5× docker cp (1.5 / ratio)',
              1,
              1.5 / firstRatio,
            ),
            target(
              '1 GB publish RSS growth ≤ 200 MB (200 / MB)',
              1,
              200 / Math.max(1, big.publishRssGrowthMb),
            ),
            ...big.fetches.flatMap((f) => [
              target(
                `1 GB first fetch over ${f.transport}: RSS growth ≤ 256 MB (256 / MB)`,
                1,
                256 / Math.max(1, f.rssGrowthMb),
              ),
              target(
                `1 GB first fetch over ${f.transport} ≤ 1.5× host git clone --depth 1 --no-checkout (1.5 / ratio)`,
                1,
                1.5 / f.timeRatio,
              ),
            ]),
          ],
          notes: [
            'first publishCommit rows exclude the fetch (its own row): docker cp starts from a checked-out tree.',
            `the big tree is ${BIG_FILES} × ${BIG_FILE_BYTES / 2 ** 20} MB random files (BERTH_BENCH_BIG_FILES sets the count); each first fetch runs in a fresh process after a small warm-up fetch on the same transport, right after the host git's clone of the same repository.`,
            ...big.fetches.map(
              (f) =>
                `first fetch over ${f.transport}: RSS grew by ${f.rssGrowthMb} MB, ${f.timeRatio}× the host git clone's time.`,
            ),
          ],
        };
      },
    );
  },
};
