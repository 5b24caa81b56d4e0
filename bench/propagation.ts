// How long from announceRevision until nginx serves the new content, over 50 one-file updates:
// berth with the directory target (the watcher where the volumes are mounted) and with the
// container target (Docker API only), the seed's etcdctl watch + `docker run … git pull`, the
// fetch floors of the same updates, and a fleet of 10 nodes on one key.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BERTH_VERSION, connectDocker, connectEtcd } from '@berth/core';
import { commitFiles, createBareRepo, type BareRepo } from '../test/support/git.ts';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { docker as dockerCli, removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { target, type BenchReport } from './lib/report.ts';
import { measureBerthNode } from './propagation/berth-single.ts';
import { unwrap } from './propagation/cdn-node.ts';
import { initialSite, type BenchContext } from './propagation/context.ts';
import { measureFleet } from './propagation/fleet.ts';
import { startConcurrentFetchFloor, startFloors } from './propagation/floors.ts';
import { buildGitImage } from './propagation/git-image.ts';
import {
  formatSummaries,
  summarise,
  type MethodResult,
  type Summary,
} from './propagation/samples.ts';
import { measureSeed } from './propagation/seed.ts';

const UPDATES = Number(process.env.BERTH_BENCH_UPDATES ?? 50);
const WARMUP = 3;
const FLEET = Number(process.env.BERTH_BENCH_FLEET ?? 10);

function rows(summaries: readonly Summary[], results: readonly MethodResult[]): Measurement[] {
  const seed = summaries.find((s) => s.method.startsWith("seed's way"));
  return summaries.map((s) => {
    const samplesMs =
      results.find((r) => r.method === s.method)?.samples.map((x) => x.totalMs) ?? [];
    return {
      group: s.method.startsWith('floor') ? 'floor (same updates)' : 'announce → served',
      method: s.method,
      ops: 1,
      baseline: s === seed,
      samplesMs,
      medianMs: s.p50,
      p95Ms: s.p95,
      perOpMs: s.p50,
      speedup: seed ? seed.p50 / s.p50 : Number.NaN,
    };
  });
}

async function measure(ctx: BenchContext, gitImage: string): Promise<BenchReport> {
  const floors = await startFloors(ctx);
  const step = (what: string) => process.stderr.write(`measuring ${what} …\n`);
  step(`berth with the directory target and the floors, ${ctx.updates} updates`);
  const [directory] = await measureBerthNode(ctx, 'directory', floors.measure);
  step('berth with the container target');
  const [container, execFloor] = await measureBerthNode(ctx, 'container');
  if (!directory || !container) throw new Error('a berth method measured nothing');
  step("the seed's way");
  const seed = await measureSeed(ctx, gitImage);
  step(`a fleet of ${FLEET}, and ${FLEET} bare fetches at once after each update`);
  const fleetFloor = await startConcurrentFetchFloor(ctx, FLEET);
  const fleet = await measureFleet(ctx, FLEET, fleetFloor.measure);
  const results = [
    directory,
    container,
    seed,
    ...fleet,
    ...floors.results(),
    ...fleetFloor.results(),
    ...(execFloor ? [execFloor] : []),
  ];
  const summaries = results.map(summarise);
  process.stdout.write(`\n${formatSummaries(summaries)}\n`);

  const p50 = (method: string) => summaries.find((s) => s.method === method)?.p50 ?? Number.NaN;
  const by = (method: string) => summaries.find((s) => s.method === method);
  const dir = p50(directory.method);
  const floor = p50('floor: bare isomorphic-git fetch');
  const fleetLast = by(fleet[0]?.method ?? '')?.p99 ?? Number.NaN;
  const fleetFloor99 = by(fleetFloor.results()[0]?.method ?? '')?.p99 ?? Number.NaN;
  const engine = ctx.docker;
  return {
    name: 'propagation',
    engine: {
      endpoint: engine.endpoint,
      engineVersion: engine.engineVersion,
      apiVersion: engine.apiVersion,
    },
    berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
    parameters: {
      updates: ctx.updates,
      warmup: ctx.warmup,
      fleet: FLEET,
      pollMs: 5,
      gitImage,
      summaries,
    },
    rows: rows(summaries, results),
    ratios: {
      directoryOverFloor: dir / floor,
      seedOverDirectory: p50(seed.method) / dir,
      seedOverContainer: p50(seed.method) / p50(container.method),
      fleetLastP99OverDirectoryP50: fleetLast / dir,
      fleetFloorP99OverDirectoryP50: fleetFloor99 / dir,
      fleetLastP99OverFleetFloorP99: fleetLast / fleetFloor99,
    },
    targets: [
      target(
        'bare fetch p50 / directory p50 (1.3× the fetch or less = 0.77 or more)',
        0.77,
        floor / dir,
      ),
      target("directory target vs the seed's way (p50)", 4, p50(seed.method) / dir),
      target(
        "container target vs the seed's way (p50)",
        2,
        p50(seed.method) / p50(container.method),
      ),
      target(`3 × single-node p50 / fleet-of-${FLEET} last-node p99`, 1, (3 * dir) / fleetLast),
    ],
    notes: [
      'each update: push a commit changing index.html, then time announceRevision → an HTTP GET (every 5 ms, keep-alive) returns the new index.html',
      'directory target: the watcher runs on the Docker host and writes into /www’s volume (its Mountpoint), where a watcher started with --volumes-from would write; a no-op beforeActivate makes upload and swap separately timed steps',
      'container target: stage and swap are one script, run through the target’s long-lived exec (opened before the first update), so "upload" includes the swap; Docker requests are counted per update from node:http’s diagnostics channel',
      "the seed's command is wrapped in two `date +%s%N` stamps on the host: notify = announce → command start",
      'the floors fetch the same update, after it was served (untimed for berth)',
      `fleet floor: after every fleet update, ${FLEET} bare isomorphic-git fetches of it at once (each into its own repository, no berth); its p99 is what this machine and git server allow any fleet of ${FLEET} before anything is published`,
    ],
  };
}

export const propagationBench: BenchModule = {
  name: 'propagation',
  description: `announceRevision → nginx serving, ${UPDATES} one-file updates: berth (directory, container target), the seed's way, the fetch floors, a fleet of ${FLEET}`,
  async run() {
    const docker = unwrap(await connectDocker());
    const etcdEndpoint = process.env.BERTH_TEST_ETCD_ENDPOINT ?? 'http://127.0.0.1:2379';
    const etcd = unwrap(await connectEtcd({ endpoints: [etcdEndpoint] }));
    const runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const labels = { 'io.berth.test-run': runId };
    const gitImage = `berth-bench/git:${runId}`;
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-propagation-'));
    let repo: BareRepo | undefined;
    return withCleanup(
      async () => {
        const removed = await removeLabelled(`io.berth.test-run=${runId}`);
        await dockerCli(['image', 'rm', '--force', gitImage]).catch(() => '');
        await promisify(execFile)('etcdctl', ['del', '--prefix', `berth-bench/${runId}/`], {
          env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcdEndpoint },
        }).catch(() => undefined);
        await repo?.cleanup();
        await rm(scratch, { recursive: true, force: true });
        etcd.close();
        process.stderr.write(
          `removed ${removed} containers, the git image, the keys and ${scratch}\n`,
        );
      },
      async () => {
        repo = await createBareRepo('bench-propagation');
        await commitFiles(repo, initialSite(), { message: 'site' });
        process.stderr.write(`building ${gitImage} from the host's git …\n`);
        await buildGitImage(gitImage, labels);
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
        return measure(ctx, gitImage);
      },
    );
  },
};
