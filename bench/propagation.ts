// How long from announceRevision until nginx serves the new content, over 50 one-file updates
// (BERTH_BENCH_UPDATES): berth with the directory target (the watcher where the volumes are
// mounted) and with the container target (Docker API only), the seed's etcdctl watch + `docker
// run … git pull`, the fetch floors of the same updates, and fleets of 10 and 30 nodes on one key
// (BERTH_BENCH_FLEETS) — each by the fetch path, with the change carried in etcd, and with the
// elected fetch; with what each deploy asked of the origin, counted at the git server.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BERTH_VERSION, connectDocker, connectEtcd } from '@berth/core';
import { commitFiles, createBareRepo, type BareRepo } from '../test/support/git.ts';
import {
  startGitRequestCounter,
  type GitRequestCounter,
} from '../test/support/git-request-counter.ts';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { docker as dockerCli, removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { countTarget, target, type BenchReport } from './lib/report.ts';
import { measureBerthNode } from './propagation/berth-single.ts';
import { unwrap } from './propagation/cdn-node.ts';
import { initialSite, type BenchContext } from './propagation/context.ts';
import type { DeployPath } from './propagation/announce.ts';
import { fleetName, fleetNodes, measureFleet } from './propagation/fleet.ts';
import { startConcurrentFetchFloor, startFloors } from './propagation/floors.ts';
import { buildGitImage } from './propagation/git-image.ts';
import {
  formatSummaries,
  summarise,
  type MethodResult,
  type Summary,
} from './propagation/samples.ts';
import { measureSeed } from './propagation/seed.ts';
import { POLL_BUDGET_PER_S, POLL_MS, pollInterval } from './propagation/serve-poll.ts';

const UPDATES = Number(process.env.BERTH_BENCH_UPDATES ?? 50);
const WARMUP = Number(process.env.BERTH_BENCH_WARMUP ?? 3);
/** Fleet sizes, e.g. `10,30` (`BERTH_BENCH_FLEET`, one size, is still read). */
const FLEETS = (process.env.BERTH_BENCH_FLEETS ?? process.env.BERTH_BENCH_FLEET ?? '10,30')
  .split(',')
  .map((size) => Number(size.trim()))
  .filter((size) => Number.isInteger(size) && size > 0);
/** The ways a deploy reaches the fleet, each measured on every fleet size. */
const PATHS: readonly DeployPath[] = ['fetch', 'carried', 'elected'];

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
      ...(s.originRequestsPerUpdate !== undefined && { originRequests: s.originRequestsPerUpdate }),
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
  step('berth with the directory target, the change carried in etcd');
  const [carried] = await measureBerthNode(ctx, 'directory', undefined, { path: 'carried' });
  if (!directory || !container || !carried) throw new Error('a berth method measured nothing');
  step("the seed's way");
  const seed = await measureSeed(ctx, gitImage);
  const largest = Math.max(...FLEETS);
  process.stderr.write(`making ${largest} CDN nodes for the fleets …\n`);
  const nodes = await fleetNodes(ctx, largest);
  const fleets: MethodResult[] = [];
  const fleetFloors: MethodResult[] = [];
  for (const size of FLEETS) {
    for (const path of PATHS) {
      if (path === 'fetch') {
        step(`a fleet of ${size}, and ${size} bare fetches at once after each update`);
        const fleetFloor = await startConcurrentFetchFloor(ctx, size);
        fleets.push(...(await measureFleet(ctx, nodes.slice(0, size), path, fleetFloor.measure)));
        fleetFloors.push(...fleetFloor.results());
      } else {
        step(fleetName(size, path));
        fleets.push(...(await measureFleet(ctx, nodes.slice(0, size), path)));
      }
    }
  }
  const results = [
    directory,
    carried,
    container,
    seed,
    ...fleets,
    ...floors.results(),
    ...fleetFloors,
    ...(execFloor ? [execFloor] : []),
  ];
  const summaries = results.map(summarise);
  process.stdout.write(`\n${formatSummaries(summaries)}\n`);

  const by = (method: string) => summaries.find((s) => s.method === method);
  const p50 = (method: string) => by(method)?.p50 ?? Number.NaN;
  const dir = p50(directory.method);
  const floor = p50('floor: bare isomorphic-git fetch');
  const fleetLast = (size: number, path: DeployPath) =>
    by(`${fleetName(size, path)}: last node`)?.p99 ?? Number.NaN;
  const fleetFloor99 = (size: number) =>
    by(`floor: ${size} bare isomorphic-git fetches at once (last)`)?.p99 ?? Number.NaN;
  const fleetFetches = (size: number, path: DeployPath) =>
    by(`${fleetName(size, path)}: last node`)?.originFetchesMax ?? Number.NaN;
  const carriedP50 = p50(carried.method);
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
      fleets: FLEETS,
      paths: PATHS,
      pollMs: POLL_MS,
      fleetPollMs: Object.fromEntries(FLEETS.map((size) => [size, pollInterval(size)])),
      fleetPollBudgetPerS: POLL_BUDGET_PER_S,
      gitImage,
      summaries,
    },
    rows: rows(summaries, results),
    ratios: {
      directoryOverFloor: dir / floor,
      carriedOverDirectory: carriedP50 / dir,
      seedOverDirectory: p50(seed.method) / dir,
      seedOverContainer: p50(seed.method) / p50(container.method),
      ...Object.fromEntries(
        FLEETS.flatMap((size) => [
          [`fleet${size}LastP99OverDirectoryP50`, fleetLast(size, 'fetch') / dir],
          [`fleet${size}FloorP99OverDirectoryP50`, fleetFloor99(size) / dir],
          [`fleet${size}LastP99OverFleetFloorP99`, fleetLast(size, 'fetch') / fleetFloor99(size)],
        ]),
      ),
    },
    targets: [
      target(
        'bare fetch p50 / directory p50 (1.3× the fetch or less = 0.77 or more)',
        0.77,
        floor / dir,
      ),
      target("directory target vs the seed's way (p50)", 4, p50(seed.method) / dir),
      target(
        'directory p50 / directory carried p50 (carried ≤ 0.5× the fetch path = 2 or more)',
        2,
        dir / carriedP50,
      ),
      countTarget(
        'origin fetches per deploy, one node carried (most in any update)',
        0,
        by(carried.method)?.originFetchesMax ?? Number.NaN,
      ),
      target(
        "container target vs the seed's way (p50)",
        2,
        p50(seed.method) / p50(container.method),
      ),
      ...FLEETS.flatMap((size) => [
        target(
          `3 × single-node p50 / fleet-of-${size} last-node p99`,
          1,
          (3 * dir) / fleetLast(size, 'fetch'),
        ),
        countTarget(
          `origin fetches per deploy, fleet of ${size}, fetch path (one per node; most in any update)`,
          size,
          fleetFetches(size, 'fetch'),
        ),
        target(
          `3 × single-node carried p50 / fleet-of-${size} carried last-node p99`,
          1,
          (3 * carriedP50) / fleetLast(size, 'carried'),
        ),
        target(
          `fetch-path fleet-of-${size} p99 / carried fleet-of-${size} p99 (≤ 0.3× = 3.3 or more)`,
          3.3,
          fleetLast(size, 'fetch') / fleetLast(size, 'carried'),
        ),
        countTarget(
          `origin fetches per deploy, fleet of ${size}, carried (most in any update)`,
          0,
          fleetFetches(size, 'carried'),
        ),
        countTarget(
          `origin fetches per deploy, fleet of ${size}, elected fetch (most in any update)`,
          1,
          fleetFetches(size, 'elected'),
        ),
      ]),
    ],
    notes: [
      `each update: push a commit changing index.html, then time announceRevision → an HTTP GET (keep-alive; every ${POLL_MS} ms for one node) returns the new index.html`,
      `fleet polls share one budget of ${POLL_BUDGET_PER_S} GETs/s, so each node is polled every ${FLEETS.map((size) => `${pollInterval(size)} ms (fleet of ${size})`).join(', ')}: the interval only ever adds to a measured time (a node is seen serving at its first poll after it serves), by at most one interval; the poller writes prepared request bytes on a raw socket instead of node:http, whose client took more CPU than the watchers can spare on this machine`,
      `fleet nodes: each node’s watcher runs in a process of its own (bench/propagation/fleet-watcher.ts, started once per fleet run, with its own etcd connection and git cache), as on a real fleet, and reports its synced events over IPC; the bench still decides "served" only at each node’s nginx, and still counts origin requests at the git server`,
      '"watcher CPU" (any node) is the CPU time one watcher process used per update (user + system, from its synced event to the next); "watcher CPU (all nodes)" sums it over the fleet, "bench process CPU" is what the measuring process used meanwhile (announcing, polling, the git proxy): all of them share this machine’s cores, so a fleet cannot serve everywhere sooner than about their sum over the cores',
      'directory target: the watcher runs on the Docker host and writes into /www’s volume (its Mountpoint), where a watcher started with --volumes-from would write; a no-op beforeActivate makes upload and swap separately timed steps',
      'container target: stage and swap are one script, run through the target’s long-lived exec (opened before the first update), so "upload" includes the swap; Docker requests are counted per update from node:http’s diagnostics channel',
      "the seed's command is wrapped in two `date +%s%N` stamps on the host: notify = announce → command start",
      'the floors fetch the same update, after it was served (untimed for berth)',
      `fleet floor: after every fleet update of the fetch path, that many bare isomorphic-git fetches of it at once (each into its own repository, no berth); its p99 is what this machine and git server allow any fleet of that size before anything is published`,
      'origin requests: every method and floor reaches the git server through a loopback proxy that counts upload-pack requests (GET info/refs?service=git-upload-pack + POST git-upload-pack) from the announcement until every node has synced; "fetches" counts the ref advertisements (one per fetch); the proxy is one more loopback hop for every method alike',
      `fleets of ${FLEETS.join(' and ')} share the same CDN nodes (a new key, new watcher processes and empty caches for each run)`,
      'carried: announceRevision with carry: { repository: <the bench bare repository> } (a thin pack against the commit announced before, stored in etcd under a lease, default cap); the announce → served time includes building and storing the pack; a measured update that is not carried stops the bench',
      'elected fetch: watchAndPull({ sharedFetch: true }) on every node, plain announcements; one node (etcd lock) fetches and shares the change through etcd',
      '"paths taken": what each node reported in its synced event (origin, carried, shared, cache), over all measured updates',
    ],
  };
}

export const propagationBench: BenchModule = {
  name: 'propagation',
  description: `announceRevision → nginx serving, ${UPDATES} one-file updates: berth (directory, container target), the seed's way, the fetch floors, fleets of ${FLEETS.join(', ')}; origin git requests per deploy`,
  async run() {
    const docker = unwrap(await connectDocker());
    const etcdEndpoint = process.env.BERTH_TEST_ETCD_ENDPOINT ?? 'http://127.0.0.1:2379';
    const etcd = unwrap(await connectEtcd({ endpoints: [etcdEndpoint] }));
    const runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const labels = { 'io.berth.test-run': runId };
    const gitImage = `berth-bench/git:${runId}`;
    const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-propagation-'));
    let repo: BareRepo | undefined;
    let origin: GitRequestCounter | undefined;
    if (FLEETS.length === 0) throw new Error('BERTH_BENCH_FLEETS names no fleet size');
    return withCleanup(
      async () => {
        const removed = await removeLabelled(`io.berth.test-run=${runId}`);
        await dockerCli(['image', 'rm', '--force', gitImage]).catch(() => '');
        await promisify(execFile)('etcdctl', ['del', '--prefix', `berth-bench/${runId}/`], {
          env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcdEndpoint },
        }).catch(() => undefined);
        await repo?.cleanup();
        await origin?.close();
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
        origin = await startGitRequestCounter(new URL(repo.url).origin);
        const ctx: BenchContext = {
          docker,
          etcd,
          etcdEndpoint,
          runId,
          labels,
          repo,
          origin,
          scratch,
          updates: UPDATES,
          warmup: WARMUP,
        };
        return measure(ctx, gitImage);
      },
    );
  },
};
