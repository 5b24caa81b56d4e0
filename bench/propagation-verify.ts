// What verified releases cost. (1) announceRevision → nginx serving, 1-file updates, the
// directory-target watcher with its release check on every publish and with the check answered
// without looking (the path before verification; manifests are written in both), interleaved in
// one run. (2) The start-up check of an active 10,000-file release (a fresh target, publishCommit
// of the active commit: state, manifest, lstat of every file) against a 1-file update's publish.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BERTH_VERSION,
  connectDocker,
  connectEtcd,
  directoryTarget,
  openGitSource,
  publishCommit,
} from '@berth/core';
import { commitFiles, createBareRepo, type BareRepo } from '../test/support/git.ts';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { target, type BenchReport } from './lib/report.ts';
import { median, quantile } from './lib/stats.ts';
import { measureBerthNode } from './propagation/berth-single.ts';
import { unwrap } from './propagation/cdn-node.ts';
import { initialSite, type BenchContext } from './propagation/context.ts';
import { summarise } from './propagation/samples.ts';

const UPDATES = Number(process.env.BERTH_BENCH_UPDATES ?? 30);
const ROUNDS = 3;
const CHECKS = 15;
const FILES = 10_000;

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

/** Start-up check vs a 1-file update, on a 10,000-file release in a local directory. */
async function startupCheck(scratch: string, repos: BareRepo[]): Promise<Measurement[]> {
  const repo = await createBareRepo('bench-verify-startup');
  repos.push(repo);
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++)
    files[`d${i % 100}/page-${i}.html`] = `<p>${i} ${randomBytes(64).toString('hex')}</p>\n`;
  const first = await commitFiles(repo, files, { message: 'site' });
  const source = unwrap(
    openGitSource({ url: repo.url, cacheDir: await mkdtemp(join(scratch, 'cache-')) }),
  );
  const dir = await mkdtemp(join(scratch, 'www-'));
  const t = directoryTarget(dir);
  unwrap(await publishCommit({ source, commit: first, target: t }));
  const updates: number[] = [];
  let active = first;
  for (let i = 0; i < CHECKS; i++) {
    const sha = await commitFiles(
      repo,
      { 'd0/page-0.html': `change ${i} ${randomBytes(8).toString('hex')}` },
      { message: `change ${i}` },
    );
    const started = performance.now();
    const report = unwrap(await publishCommit({ source, commit: sha, target: t }));
    updates.push(performance.now() - started);
    if (report.changed.modified.length !== 1) throw new Error('not a 1-file update');
    active = sha;
  }
  // The target that published links its next stage's copy in the background after each swap;
  // closing it waits for that, so the checks below run as a starting node's would: nothing else
  // in flight on the release directory.
  unwrap(await t.close());
  const checks: number[] = [];
  for (let i = 0; i < CHECKS; i++) {
    // What a watcher does on start (and on every re-announcement): a target that has seen
    // nothing yet, asked to publish the active commit.
    const started = performance.now();
    const fresh = directoryTarget(dir);
    const again = unwrap(await publishCommit({ source, commit: active, target: fresh }));
    checks.push(performance.now() - started);
    if (!again.unchanged) throw new Error('the start-up check did not find the release whole');
    unwrap(await fresh.close());
  }
  const group = `${FILES.toLocaleString('en')} files, directory target`;
  return [
    row(group, '1-file update: fetch + publishCommit', updates, true),
    row(group, 'start-up check: publishCommit of the active commit, fresh target', checks),
  ];
}

export const propagationVerifyBench: BenchModule = {
  name: 'propagation-verify',
  description: `verified releases: directory-target propagation with the release check on vs off (${UPDATES} updates each, interleaved), and the start-up check of a ${FILES}-file release vs a 1-file update`,
  async run(): Promise<BenchReport> {
    const docker = unwrap(await connectDocker());
    const etcdEndpoint = process.env.BERTH_TEST_ETCD_ENDPOINT ?? 'http://127.0.0.1:2379';
    const etcd = unwrap(await connectEtcd({ endpoints: [etcdEndpoint] }));
    const runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const labels = { 'io.berth.test-run': runId };
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-verify-'));
    const repos: BareRepo[] = [];
    return withCleanup(
      async () => {
        await removeLabelled(`io.berth.test-run=${runId}`);
        await promisify(execFile)('etcdctl', ['del', '--prefix', `berth-bench/${runId}/`], {
          env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcdEndpoint },
        }).catch(() => undefined);
        await Promise.all(repos.map((r) => r.cleanup()));
        await rm(scratch, { recursive: true, force: true });
        etcd.close();
      },
      async () => {
        const repo = await createBareRepo('bench-verify-propagation');
        repos.push(repo);
        await commitFiles(repo, initialSite(), { message: 'site' });
        const ctx: BenchContext = {
          docker,
          etcd,
          etcdEndpoint,
          runId,
          labels,
          repo,
          scratch,
          updates: Math.ceil(UPDATES / ROUNDS),
          warmup: 2,
        };
        // Interleaved rounds, so load on the machine falls on both alike.
        const on: number[] = [];
        const off: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          for (const verify of [true, false]) {
            process.stderr.write(`round ${round + 1}: verification ${verify ? 'on' : 'off'} …\n`);
            const [result] = await measureBerthNode(
              { ...ctx, runId: `${runId}-${round}-${verify ? 'on' : 'off'}` },
              'directory',
              undefined,
              { verify },
            );
            (verify ? on : off).push(...(result?.samples.map((s) => s.totalMs) ?? []));
          }
        }
        const group = 'announce → served, directory target';
        const rows = [
          row(group, 'berth, release check off (the path before verification)', off, true),
          row(group, 'berth, release check on every publish', on),
        ];
        process.stderr.write(`start-up check of a ${FILES}-file release …\n`);
        rows.push(...(await startupCheck(scratch, repos)));
        const p50 = (method: string) =>
          rows.find((r) => r.method.startsWith(method))?.medianMs ?? Number.NaN;
        const onOverOff = p50('berth, release check on') / p50('berth, release check off');
        const checkOverUpdate = p50('start-up check') / p50('1-file update');
        return {
          name: 'propagation-verify',
          engine: {
            endpoint: docker.endpoint,
            engineVersion: docker.engineVersion,
            apiVersion: docker.apiVersion,
          },
          berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
          parameters: {
            updates: UPDATES,
            rounds: ROUNDS,
            files: FILES,
            checks: CHECKS,
            summaries: [
              summarise({ method: 'on', samples: on.map((totalMs) => ({ totalMs, parts: {} })) }),
              summarise({ method: 'off', samples: off.map((totalMs) => ({ totalMs, parts: {} })) }),
            ],
          },
          rows: rows.map((r) => {
            const base = rows.find((o) => o.group === r.group && o.baseline);
            return { ...r, speedup: base ? base.medianMs / r.medianMs : Number.NaN };
          }),
          ratios: {
            verifiedOverUnverifiedP50: Math.round(onOverOff * 1000) / 1000,
            startupCheckOverOneFileUpdate: Math.round(checkOverUpdate * 1000) / 1000,
          },
          targets: [
            target('verification on ≤ 1.1× off, p50 (1.1 / ratio)', 1, 1.1 / onOverOff),
            target(
              `start-up check of ${FILES} files ≤ 0.25× a 1-file update (0.25 / ratio)`,
              1,
              0.25 / checkOverUpdate,
            ),
          ],
          notes: [
            '"check off" wraps the directory target so its release check answers without looking; manifests are written in both, so the pair measures the check made on every publish',
            'start-up check: a new directoryTarget (nothing remembered) and publishCommit of the active commit: resolve, read the state, read the manifest, lstat every directory and file; measured after the publishing target is closed (its background copy for the next stage done), as on a node that starts; the 1-file update includes its fetch',
          ],
        };
      },
    );
  },
};
