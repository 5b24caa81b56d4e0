// How long the `berth` command takes from a cold start, as Jenkins helpers call it: each command
// runs as a whole process, the rows alternate sample by sample (so a busy moment of the machine
// falls on every row alike), and each berth row is set against its baseline in the same run:
// `berth --help` and `berth --version` against `node -e 0`, `berth name <id>` against
// `docker inspect --format '{{.Name}}' <id>`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BERTH_VERSION, connectDocker } from '@berth/core';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { docker, removeLabelled } from './lib/docker-cli.ts';
import type { Measurement } from './lib/measure.ts';
import { target, type BenchReport } from './lib/report.ts';
import { median, quantile } from './lib/stats.ts';

const exec = promisify(execFile);
const SAMPLES = 25;
const IMAGE = 'berth-test/busybox:1';
/** The `berth` a user runs: the npm-linked executable of the built package. */
const BERTH = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.bin', 'berth');

interface Row {
  readonly group: string;
  readonly method: string;
  readonly baseline?: boolean;
  readonly file: string;
  readonly args: readonly string[];
  /** What the command must print, so a fast failure is not timed as a fast answer. */
  readonly expect: (stdout: string) => boolean;
  /** Run without NODE_EXTRA_CA_CERTS (Node reads that bundle at every start, before any code). */
  readonly withoutExtraCa?: boolean;
}

const START_GROUP = 'start-up';
const NAME_GROUP = 'name one container';
const NO_CA = ' (NODE_EXTRA_CA_CERTS unset)';

/** The same Node rows again without NODE_EXTRA_CA_CERTS, when the environment sets it. */
function withoutExtraCa(rows: readonly Row[]): Row[] {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) return [];
  return rows
    .filter((row) => row.file !== 'docker')
    .map((row) => ({
      ...row,
      group: row.group === START_GROUP ? `${START_GROUP}${NO_CA}` : row.group,
      method: `${row.method}${NO_CA}`,
      baseline: row.group === START_GROUP && row.baseline === true,
      withoutExtraCa: true,
    }));
}

function rows(id: string, name: string): Row[] {
  const inEnvironment = plainRows(id, name);
  return [...inEnvironment, ...withoutExtraCa(inEnvironment)];
}

function plainRows(id: string, name: string): Row[] {
  return [
    {
      group: START_GROUP,
      method: 'node -e 0',
      baseline: true,
      file: process.execPath,
      args: ['-e', '0'],
      expect: (out) => out === '',
    },
    {
      group: START_GROUP,
      method: 'berth --help',
      file: BERTH,
      args: ['--help'],
      expect: (out) => out.startsWith('Usage: berth'),
    },
    {
      group: START_GROUP,
      method: 'berth --version',
      file: BERTH,
      args: ['--version'],
      expect: (out) => out.includes(BERTH_VERSION),
    },
    {
      group: NAME_GROUP,
      method: "docker inspect --format '{{.Name}}' <id>",
      baseline: true,
      file: 'docker',
      args: ['inspect', '--format', '{{.Name}}', id],
      expect: (out) => out.trim() === `/${name}`,
    },
    {
      group: NAME_GROUP,
      method: 'berth name <id>',
      file: BERTH,
      args: ['name', id],
      expect: (out) => out.trim() === name,
    },
  ];
}

async function timeOnce(row: Row, given: NodeJS.ProcessEnv): Promise<number> {
  const env = { ...given };
  if (row.withoutExtraCa) delete env.NODE_EXTRA_CA_CERTS;
  const started = performance.now();
  const { stdout } = await exec(row.file, [...row.args], { env });
  const elapsed = performance.now() - started;
  if (!row.expect(stdout)) throw new Error(`${row.method} printed ${JSON.stringify(stdout)}`);
  return elapsed;
}

async function measure(label: string): Promise<BenchReport> {
  const name = `bench-cli-startup-${randomBytes(4).toString('hex')}`;
  const id = await docker(['create', '--label', label, '--name', name, IMAGE, 'true']);
  const table = rows(id, name);
  // The children get the environment a user's shell has, less what runs this bench (tsx).
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const row of table) await timeOnce(row, env); // warm the page cache once, untimed
  const samples = table.map(() => [] as number[]);
  process.stderr.write(`measuring ${table.length} commands, ${SAMPLES} alternating samples …\n`);
  for (let i = 0; i < SAMPLES; i++) {
    for (const [r, row] of table.entries()) samples[r]?.push(await timeOnce(row, env));
  }
  const timed = table.map((row, r) => {
    const samplesMs = samples[r] ?? [];
    const medianMs = median(samplesMs);
    return { row, samplesMs, medianMs };
  });
  const measurements: Measurement[] = timed.map(({ row, samplesMs, medianMs }) => {
    const base = timed.find((t) => t.row.group === row.group && t.row.baseline);
    return {
      group: row.group,
      method: row.method,
      ops: 1,
      baseline: row.baseline ?? false,
      samplesMs: samplesMs.map((ms) => Math.round(ms * 10) / 10),
      medianMs,
      p95Ms: quantile(samplesMs, 0.95),
      perOpMs: medianMs,
      speedup: base ? base.medianMs / medianMs : Number.NaN,
    };
  });
  const slowdown = (method: string) => {
    const found = measurements.find((m) => m.method === method);
    return found ? Math.round((1 / found.speedup) * 100) / 100 : Number.NaN;
  };
  const ratios = {
    helpVsNode: slowdown('berth --help'),
    versionVsNode: slowdown('berth --version'),
    nameVsDockerInspect: slowdown('berth name <id>'),
    helpVsNodeWithoutExtraCa: slowdown(`berth --help${NO_CA}`),
    versionVsNodeWithoutExtraCa: slowdown(`berth --version${NO_CA}`),
    nameVsDockerInspectWithoutExtraCa: slowdown(`berth name <id>${NO_CA}`),
  };
  const connection = await connectDocker();
  const engine = connection.isOk()
    ? connection.value
    : { endpoint: '?', engineVersion: '?', apiVersion: '?' };
  return {
    name: 'cli-startup',
    engine: {
      endpoint: engine.endpoint,
      engineVersion: engine.engineVersion,
      apiVersion: engine.apiVersion,
    },
    berth: { version: BERTH_VERSION, resolvedFrom: BERTH },
    parameters: {
      samples: SAMPLES,
      image: IMAGE,
      nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
    },
    rows: measurements,
    ratios,
    // The targets are slow-downs (at most 2×, 3×): as speed-ups, at least 1/2 and 1/3.
    targets: [
      target('berth --help vs node -e 0 (≤ 2× slower)', 0.5, 1 / ratios.helpVsNode),
      target('berth --version vs node -e 0 (≤ 2× slower)', 0.5, 1 / ratios.versionVsNode),
      target('berth name vs docker inspect (≤ 3× slower)', 0.33, 1 / ratios.nameVsDockerInspect),
      ...(Number.isFinite(ratios.nameVsDockerInspectWithoutExtraCa)
        ? [
            target(
              `berth name vs docker inspect${NO_CA} (≤ 3× slower)`,
              0.33,
              1 / ratios.nameVsDockerInspectWithoutExtraCa,
            ),
          ]
        : []),
    ],
    notes: [
      `slow-downs (median over median): --help ${ratios.helpVsNode}×, --version ${ratios.versionVsNode}× node -e 0; name ${ratios.nameVsDockerInspect}× docker inspect`,
      `the same${NO_CA}: --help ${ratios.helpVsNodeWithoutExtraCa}×, --version ${ratios.versionVsNodeWithoutExtraCa}× node -e 0; name ${ratios.nameVsDockerInspectWithoutExtraCa}× docker inspect (Node loads that CA bundle at every start, before any of berth runs; docker does not)`,
      "berth is run as users run it, through npm's link to bin/berth: when the command is `name`, that shell launcher starts Node without NODE_EXTRA_CA_CERTS (a local engine socket needs no certificate; the full lookup runs again with it), so the two name rows differ little",
      'every command is a whole process, samples alternate between the rows; one untimed warm-up run each',
      'each answer is checked (the name printed is the container created for the run)',
    ],
  };
}

export const cliStartupBench: BenchModule = {
  name: 'cli-startup',
  description: 'berth start-up as a whole process, against node -e 0 and docker inspect',
  async run() {
    const label = `io.berth.test-run=cli-startup-${Date.now().toString(36)}`;
    return withCleanup(
      async () => {
        const removed = await removeLabelled(label);
        process.stderr.write(`removed ${removed} containers\n`);
      },
      () => measure(label),
    );
  },
};
