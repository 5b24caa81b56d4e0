// The directory target fetching over SSH against the same over HTTP: announceRevision → nginx
// serving, one-file updates, the two runs one after the other on the same repository, each
// with its own node and cache. The SSH run uses the test services' sshd (scripts/lib/sshd.sh).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH_VERSION, connectDocker, connectEtcd } from '@berth/core';
import { commitFiles, createBareRepo, type BareRepo } from '../test/support/git.ts';
import { sshEnv, sshUrl } from '../test/support/git-ssh.ts';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { target, type BenchReport } from './lib/report.ts';
import { measureBerthNode } from './propagation/berth-single.ts';
import { unwrap } from './propagation/cdn-node.ts';
import { initialSite, type BenchContext } from './propagation/context.ts';
import { formatSummaries, summarise, type MethodResult } from './propagation/samples.ts';

const UPDATES = Number(process.env.BERTH_BENCH_UPDATES ?? 50);
const WARMUP = 3;

function rows(results: readonly MethodResult[]): Measurement[] {
  const summaries = results.map(summarise);
  const http = summaries[0];
  return summaries.map((s, i) => ({
    group: 'announce → served',
    method: s.method,
    ops: 1,
    baseline: s === http,
    samplesMs: results[i]?.samples.map((x) => x.totalMs) ?? [],
    medianMs: s.p50,
    p95Ms: s.p95,
    perOpMs: s.p50,
    speedup: http ? http.p50 / s.p50 : Number.NaN,
  }));
}

async function measure(ctx: BenchContext, repo: BareRepo): Promise<BenchReport> {
  const step = (what: string) => process.stderr.write(`measuring ${what} …\n`);
  step(`the directory target over HTTP, ${ctx.updates} updates`);
  const [http] = await measureBerthNode(ctx, 'directory');
  step(`the directory target over SSH, ${ctx.updates} updates`);
  const [ssh] = await measureBerthNode(
    ctx,
    'directory',
    undefined,
    {},
    {
      url: sshUrl(repo),
      name: 'ssh',
    },
  );
  if (!http || !ssh) throw new Error('a method measured nothing');
  const summaries = [http, ssh].map(summarise);
  process.stdout.write(`\n${formatSummaries(summaries)}\n`);
  const [overHttp, overSsh] = summaries.map((s) => s.p50);
  return {
    name: 'propagation-ssh',
    engine: {
      endpoint: ctx.docker.endpoint,
      engineVersion: ctx.docker.engineVersion,
      apiVersion: ctx.docker.apiVersion,
    },
    berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
    parameters: { updates: ctx.updates, warmup: ctx.warmup, pollMs: 5, summaries },
    rows: rows([http, ssh]),
    ratios: { sshOverHttpP50: (overSsh ?? Number.NaN) / (overHttp ?? Number.NaN) },
    targets: [
      target(
        'directory target p50, HTTP / SSH (SSH at most 1.2× HTTP = 0.83 or more)',
        0.83,
        (overHttp ?? Number.NaN) / (overSsh ?? Number.NaN),
      ),
    ],
    notes: [
      'each update: push a commit changing index.html, then time announceRevision → an HTTP GET (every 5 ms) returns the new index.html',
      'HTTP: nginx + fcgiwrap + git http-backend; SSH: OpenSSH 9.2 running git-upload-pack through a forced command, one SSH session (handshake, key login, exec) per fetch',
      'the HTTP run goes first, then the SSH run, on the same repository, each on its own node and cache',
    ],
  };
}

export const propagationSshBench: BenchModule = {
  name: 'propagation-ssh',
  description: `announceRevision → nginx serving, ${UPDATES} one-file updates: the directory target over HTTP and over SSH`,
  async run() {
    const keys = sshEnv();
    process.env.BERTH_SSH_KEY = keys.key;
    process.env.BERTH_SSH_KNOWN_HOSTS = keys.knownHosts;
    const docker = unwrap(await connectDocker());
    const etcdEndpoint = process.env.BERTH_TEST_ETCD_ENDPOINT ?? 'http://127.0.0.1:2379';
    const etcd = unwrap(await connectEtcd({ endpoints: [etcdEndpoint] }));
    const runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const labels = { 'io.berth.test-run': runId };
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-propagation-ssh-'));
    let repo: BareRepo | undefined;
    return withCleanup(
      async () => {
        const removed = await removeLabelled(`io.berth.test-run=${runId}`);
        await repo?.cleanup();
        await rm(scratch, { recursive: true, force: true });
        etcd.close();
        process.stderr.write(`removed ${removed} containers and ${scratch}\n`);
      },
      async () => {
        repo = await createBareRepo('bench-propagation-ssh');
        await commitFiles(repo, initialSite(), { message: 'site' });
        const ctx: BenchContext = {
          docker,
          etcd,
          etcdEndpoint,
          runId,
          labels,
          repo,
          scratch,
          updates: UPDATES,
          warmup: WARMUP,
        };
        return measure(ctx, repo);
      },
    );
  },
};
