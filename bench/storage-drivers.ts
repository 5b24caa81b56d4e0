// The seed's storage-driver table (aufs 2.5 min, btrfs 4.5 min, devicemapper on loop files 5.5 min
// for one build-and-test job), measured on this machine: a second dockerd per driver, each with
// its own data root (btrfs on a loop-mounted file), the same job three times. Needs root.
// Run: tsx bench/run.ts storage-drivers   (or standalone: tsx bench/storage-drivers.ts)
import { mkdtemp, rm } from 'node:fs/promises';

import { pathToFileURL } from 'node:url';
import { BERTH_VERSION, connectDocker, engineInfo } from '@berth/core';
import {
  probeStorage,
  STORAGE_DRIVERS,
  type DriverAssessment,
  type StorageReport,
} from '@berth/probes';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import type { Measurement } from './lib/measure.ts';
import { writeReport, type BenchReport } from './lib/report.ts';
import { median } from './lib/stats.ts';
import { formatTable } from './lib/table.ts';
import { DaemonLifecycle, placeFor } from './storage-drivers/daemon.ts';
import {
  diskUse,
  importBase,
  LAYER_MB,
  LAYERS,
  prepareFiles,
  removeJobImage,
  runJob,
} from './storage-drivers/job.ts';
import { has, mountsUnder, processesMentioning, sh } from './storage-drivers/system.ts';
import { formatDriverTable, type DriverRow } from './storage-drivers/table.ts';

const RUNS = 3;
const HELPER_IMAGE = process.env.BERTH_BENCH_HELPER_IMAGE ?? 'berth-test/busybox:1';
/** Drivers measured first, overlay2 being the baseline; the rest follow in berth's order. */
const ORDER = [
  'overlay2',
  'overlay',
  'btrfs',
  'vfs',
  'fuse-overlayfs',
  'zfs',
  'aufs',
  'devicemapper',
];

const say = (text: string) => void process.stdout.write(`${text}\n`);

/** Whether the driver can be started here, and if not, the reason `probeStorage` gave. */
async function planFor(
  judged: DriverAssessment,
): Promise<{ run: true } | { run: false; reason: string }> {
  const kernelOk = judged.kernel === 'supported' || judged.kernel === 'not-needed';
  const engineOk = judged.engine === 'supported' || judged.engine === 'deprecated';
  // The bench gives btrfs its own filesystem, so only the kernel and engine count for it.
  const backingOk = judged.backing !== 'unsupported' || judged.driver === 'btrfs';
  if (!kernelOk || !engineOk || !backingOk) return { run: false, reason: judged.reason };
  if (judged.driver === 'btrfs' && !((await has('mkfs.btrfs')) && (await has('losetup')))) {
    return {
      run: false,
      reason: 'mkfs.btrfs or losetup is not installed (btrfs-progs, util-linux)',
    };
  }
  if (judged.driver === 'fuse-overlayfs' && !(await has('fuse-overlayfs'))) {
    return {
      run: false,
      reason: 'the kernel has fuse, but the fuse-overlayfs program is not installed',
    };
  }
  if (judged.driver === 'zfs') return { run: false, reason: judged.reason || 'needs a zfs pool' };
  return { run: true };
}

async function measureDriver(
  driver: string,
  index: number,
  workDir: string,
  files: { rootfs: string; context: string },
  lifecycles: DaemonLifecycle[],
): Promise<DriverRow> {
  const lifecycle = new DaemonLifecycle(driver, placeFor(workDir, driver, index));
  lifecycles.push(lifecycle);
  try {
    const daemon = await lifecycle.start();
    if ('failed' in daemon)
      return { driver, measured: false, reason: `dockerd would not start: ${daemon.failed}` };
    const info = await engineInfo(daemon.docker);
    if (info.isErr() || info.value.driver !== driver) {
      return {
        driver,
        measured: false,
        reason: `the daemon runs ${info.isOk() ? info.value.driver : info.error.message} instead`,
      };
    }
    await importBase(daemon.host, files.rootfs);
    const samplesMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      if (run > 0) await removeJobImage(daemon.host);
      samplesMs.push(await runJob(daemon.host, files.context));
      say(`  ${driver} run ${run + 1}: ${(samplesMs[run]! / 1000).toFixed(2)} s`);
    }
    const disk = await diskUse(daemon.dataRoot, driver === 'btrfs');
    return {
      driver,
      measured: true,
      samplesMs,
      medianMs: median(samplesMs),
      relativeToOverlay2: Number.NaN,
      ...disk,
    };
  } finally {
    const problems = await lifecycle.stop();
    for (const problem of problems) say(`  cleanup of ${driver}: ${problem}`);
  }
}

/** What this machine has left of the bench afterwards: mounts, loop devices, processes (all should be none). */
async function leftovers(workDir: string): Promise<string[]> {
  const found: string[] = [];
  const mounts = await mountsUnder([workDir]);
  if (mounts.length) found.push(`mounts: ${mounts.join(', ')}`);
  const loops = (await sh('losetup', ['-a']).catch(() => ''))
    .split('\n')
    .filter((l) => l.includes(workDir));
  if (loops.length) found.push(`loop devices: ${loops.join('; ')}`);
  const pids = await processesMentioning(workDir);
  if (pids.length) found.push(`processes: ${pids.join(', ')}`);
  return found;
}

async function run(): Promise<BenchReport> {
  if (process.getuid?.() !== 0)
    throw new Error('storage-drivers starts dockerd, mounts and loop devices: run it as root');
  const main = await connectDocker();
  if (main.isErr()) throw new Error(main.error.message);
  const probed = await probeStorage(main.value, { helperImage: HELPER_IMAGE, pull: 'never' });
  if (probed.isErr()) throw new Error(probed.error.message);
  const report: StorageReport = probed.value;
  say(
    `engine ${report.facts.engineVersion}, kernel ${report.facts.kernelVersion}; probeStorage recommends ${report.recommendation.driver}`,
  );

  const workDir = await mkdtemp(process.env.BERTH_BENCH_DIR ?? '/var/tmp/berth-bench-storage-');
  const lifecycles: DaemonLifecycle[] = [];
  const cleanup = async () => {
    for (const lifecycle of lifecycles) await lifecycle.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  };
  const rows = await withCleanup(cleanup, async () => {
    const files = await prepareFiles(workDir);
    const out: DriverRow[] = [];
    const drivers = [...STORAGE_DRIVERS].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
    for (const [index, driver] of drivers.entries()) {
      const judged = report.drivers.find((d) => d.driver === driver);
      const plan = judged
        ? await planFor(judged)
        : { run: false as const, reason: 'unknown driver' };
      if (!plan.run) {
        out.push({ driver, measured: false, reason: plan.reason });
        continue;
      }
      say(`${driver}: starting a dockerd of its own …`);
      out.push(await measureDriver(driver, index, workDir, files, lifecycles));
    }
    return out;
  });
  const left = await leftovers(workDir);

  const base = rows.find((r) => r.driver === 'overlay2' && r.measured);
  const baseMs = base?.measured ? base.medianMs : Number.NaN;
  const final = rows.map((r) =>
    r.measured ? { ...r, relativeToOverlay2: r.medianMs / baseMs } : r,
  );
  say(`\n${formatDriverTable(final)}\n`);

  const measurements: Measurement[] = final.flatMap((r) =>
    r.measured
      ? [
          {
            group: `build ${LAYERS}×${LAYER_MB} MB + test run`,
            method: r.driver,
            ops: 1,
            baseline: r.driver === 'overlay2',
            samplesMs: r.samplesMs,
            medianMs: r.medianMs,
            p95Ms: Math.max(...r.samplesMs),
            perOpMs: r.medianMs,
            speedup: baseMs / r.medianMs,
            ...{
              relativeToOverlay2: r.relativeToOverlay2,
              logicalBytes: r.logicalBytes,
              onDiskBytes: r.onDiskBytes,
            },
          },
        ]
      : [],
  );
  return {
    name: 'storage-drivers',
    engine: {
      endpoint: main.value.endpoint,
      engineVersion: main.value.engineVersion,
      apiVersion: main.value.apiVersion,
    },
    berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
    parameters: {
      runs: RUNS,
      layers: LAYERS,
      layerMb: LAYER_MB,
      kernel: report.facts.kernelVersion,
      notRun: final.filter((r) => !r.measured),
    },
    rows: measurements,
    ratios: Object.fromEntries(
      final.flatMap((r) =>
        r.measured ? [[`${r.driver}/overlay2`, Math.round(r.relativeToOverlay2 * 100) / 100]] : [],
      ),
    ),
    targets: [],
    notes: [
      'speed-up is overlay2 median / this median (0.5× = twice as slow); logical = du --apparent-size of the data root, on disk = allocated (btrfs: exclusive + shared extents)',
      ...final.flatMap((r) => (r.measured ? [] : [`${r.driver}: not run: ${r.reason}`])),
      left.length
        ? `LEFT BEHIND: ${left.join('; ')}`
        : 'cleanup: no daemon, mount, loop device or file left behind',
    ],
  };
}

export const storageDriversBench: BenchModule = {
  name: 'storage-drivers',
  description: `one build-and-test job (${LAYERS} layers of ${LAYER_MB} MB, then a test run) ${RUNS}× per storage driver, each on a dockerd of its own`,
  run,
};

// Standalone: tsx bench/storage-drivers.ts
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const report = await run();
    say(formatTable(report.rows));
    for (const note of report.notes ?? []) say(`note: ${note}`);
    say(`wrote ${await writeReport(report)}`);
  } catch (cause) {
    process.stderr.write(
      `storage-drivers failed: ${cause instanceof Error ? cause.message : String(cause)}\n`,
    );
    process.exitCode = 1;
  }
}
