// Container ids to names, the seed's way (one `docker inspect` CLI call per id, as its Jenkins
// jobs do) against berth's single and batch lookups; and, in the same table, making a data
// container that already exists, berth against `docker create`.
import { randomBytes } from 'node:crypto';
import type { Result } from 'neverthrow';
import {
  BERTH_VERSION,
  connectDocker,
  createDataContainer,
  resolveContainerName,
  resolveContainerNames,
  type DockerConnection,
} from '@berth/core';
import type { BenchModule } from './lib/bench-module.ts';
import { withCleanup } from './lib/cleanup.ts';
import { docker, dockerStatus, inParallel, removeLabelled } from './lib/docker-cli.ts';
import { measureAll, type Measurement, type Scenario } from './lib/measure.ts';
import { target, type BenchReport } from './lib/report.ts';

const CONTAINERS = 200;
const REPEATS = 3;
/** Operations per sample in the data-container rows. */
const DATA_OPS = 20;
const IMAGE = 'berth-test/busybox:1';
const DATA_VOLUMES = ['/etc/nginx', '/www'];

interface Context {
  readonly docker: DockerConnection;
  readonly runId: string;
  /** `io.berth.test-run=<runId>`, on everything this bench creates. */
  readonly label: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Even positions full ids, odd positions 12-character short ids. */
  readonly refs: readonly string[];
}

/** Builds one row of the table; setup happens here, before anything is timed. */
type ScenarioFactory = (ctx: Context) => Scenario | Promise<Scenario>;

function unwrap<T>(result: Result<T, { readonly message: string }>): T {
  if (result.isErr()) throw new Error(result.error.message);
  return result.value;
}

const RESOLVE_GROUP = `resolve ${CONTAINERS} refs`;
const DATA_GROUP = 'data container exists';

const cliInspectLoop: ScenarioFactory = (ctx) => ({
  group: RESOLVE_GROUP,
  method: "CLI loop: docker inspect --format '{{.Name}}'",
  ops: ctx.refs.length,
  baseline: true,
  run: async () => {
    for (const ref of ctx.refs) await docker(['inspect', '--format', '{{.Name}}', ref]);
  },
});

const resolveNameLoop: ScenarioFactory = (ctx) => ({
  group: RESOLVE_GROUP,
  method: 'loop of resolveContainerName',
  ops: ctx.refs.length,
  run: async () => {
    for (const ref of ctx.refs) unwrap(await resolveContainerName(ctx.docker, ref));
  },
});

const resolveNamesBatch: ScenarioFactory = (ctx) => ({
  group: RESOLVE_GROUP,
  method: 'one resolveContainerNames call',
  ops: ctx.refs.length,
  run: async () => {
    for (const answer of unwrap(await resolveContainerNames(ctx.docker, ctx.refs)).answers) {
      if (answer.error) throw new Error(answer.error.message);
    }
  },
});

/** The seed's `docker create -v … --name www-content …` run again where the container exists. */
const cliCreateExisting: ScenarioFactory = async (ctx) => {
  const name = `bench-data-cli-${ctx.runId}`;
  const args = [
    'create',
    ...DATA_VOLUMES.flatMap((v) => ['-v', v]),
    ...['--label', ctx.label, '--name', name, IMAGE, 'true'],
  ];
  await docker(args);
  return {
    group: DATA_GROUP,
    method: 'docker create (name exists: 409)',
    ops: DATA_OPS,
    baseline: true,
    run: async () => {
      for (let i = 0; i < DATA_OPS; i++) {
        const { code, stderr } = await dockerStatus(args);
        if (code === 0 || !stderr.includes('already in use')) {
          throw new Error(`docker create on an existing name: exit ${code}, ${stderr}`);
        }
      }
    },
  };
};

/** `createDataContainer` where the container exists with that spec: its idempotent path. */
const berthCreateExisting: ScenarioFactory = async (ctx) => {
  const spec = {
    name: `bench-data-berth-${ctx.runId}`,
    image: IMAGE,
    volumes: DATA_VOLUMES,
    labels: ctx.labels,
    pull: 'never' as const,
  };
  if (!unwrap(await createDataContainer(ctx.docker, spec)).created) {
    throw new Error(`${spec.name} existed before the bench made it`);
  }
  return {
    group: DATA_GROUP,
    method: 'createDataContainer (exists: idempotent)',
    ops: DATA_OPS,
    run: async () => {
      for (let i = 0; i < DATA_OPS; i++) {
        if (unwrap(await createDataContainer(ctx.docker, spec)).created) {
          throw new Error(`createDataContainer created ${spec.name} again`);
        }
      }
    },
  };
};

/** The rows, in table order; the CLI rows are their groups' baselines. */
const scenarios: readonly ScenarioFactory[] = [
  cliInspectLoop,
  resolveNameLoop,
  resolveNamesBatch,
  cliCreateExisting,
  berthCreateExisting,
];

/** All three ways must give the same answers before their speeds mean anything. */
async function checkAnswersAgree(ctx: Context): Promise<void> {
  const cli: string[] = [];
  for (const ref of ctx.refs) cli.push(await docker(['inspect', '--format', '{{.Name}}', ref]));
  const single: string[] = [];
  for (const ref of ctx.refs) {
    single.push(unwrap(await resolveContainerName(ctx.docker, ref, { leadingSlash: true })));
  }
  const batch = unwrap(
    await resolveContainerNames(ctx.docker, ctx.refs, { leadingSlash: true }),
  ).answers.map((answer) => answer.name ?? `(${answer.error.kind})`);
  ctx.refs.forEach((ref, i) => {
    const answers = [cli[i], single[i], batch[i]];
    if (new Set(answers).size !== 1)
      throw new Error(`${ref}: answers differ: ${answers.join(' ')}`);
  });
}

function ratio(rows: readonly Measurement[], method: string): number {
  return rows.find((r) => r.method === method)?.speedup ?? Number.NaN;
}

async function measure(connection: DockerConnection, runId: string): Promise<BenchReport> {
  const label = `io.berth.test-run=${runId}`;
  process.stderr.write(`creating ${CONTAINERS} containers (label ${label}) …\n`);
  const ids = await inParallel(CONTAINERS, 8, () =>
    docker(['create', '--label', label, IMAGE, 'true']),
  );
  const ctx: Context = {
    docker: connection,
    runId,
    label,
    labels: { 'io.berth.test-run': runId },
    refs: ids.map((id, i) => (i % 2 === 0 ? id : id.slice(0, 12))),
  };
  await checkAnswersAgree(ctx);
  const prepared = [];
  for (const factory of scenarios) prepared.push(await factory(ctx));
  process.stderr.write(`measuring ${prepared.length} methods, ${REPEATS} samples each …\n`);
  const rows = await measureAll(prepared, REPEATS);
  const batchVsCli = ratio(rows, 'one resolveContainerNames call');
  const singleVsCli = ratio(rows, 'loop of resolveContainerName');
  return {
    name: 'resolve-names',
    engine: {
      endpoint: connection.endpoint,
      engineVersion: connection.engineVersion,
      apiVersion: connection.apiVersion,
    },
    berth: { version: BERTH_VERSION, resolvedFrom: import.meta.resolve('@berth/core') },
    parameters: { containers: CONTAINERS, repeats: REPEATS, dataOps: DATA_OPS, image: IMAGE },
    rows,
    ratios: {
      batchVsCli,
      singleVsCli,
      batchVsSingle: batchVsCli / singleVsCli,
      createDataContainerVsCli: ratio(rows, 'createDataContainer (exists: idempotent)'),
    },
    targets: [
      target('resolveContainerNames vs CLI loop', 100, batchVsCli),
      target('resolveContainerName loop vs CLI loop', 10, singleVsCli),
    ],
    notes: [
      'refs alternate full ids and 12-character short ids; all three methods gave the same names',
      'total ms is the median of the samples; per-op ms = total / ops; speed-up is per-op against the group baseline',
    ],
  };
}

export const resolveNamesBench: BenchModule = {
  name: 'resolve-names',
  description: `${CONTAINERS} container ids to names: docker CLI loop vs resolveContainerName(s)`,
  async run() {
    const connection = unwrap(await connectDocker());
    const runId = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    return withCleanup(
      async () => {
        const removed = await removeLabelled(`io.berth.test-run=${runId}`);
        process.stderr.write(`removed ${removed} containers\n`);
      },
      () => measure(connection, runId),
    );
  },
};
