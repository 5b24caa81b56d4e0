// Runs benchmarks: `tsx bench/run.ts` runs every one registered below, `tsx bench/run.ts <name> …`
// the ones named. Each prints its table and writes bench/results/<name>.json.
import type { BenchModule } from './lib/bench-module.ts';
import { writeReport } from './lib/report.ts';
import { formatTable } from './lib/table.ts';

/** Every benchmark, by the name the command line takes. Register a new one here. */
const benches: Readonly<Record<string, () => Promise<BenchModule>>> = {
  'resolve-names': async () => (await import('./resolve-names.ts')).resolveNamesBench,
  propagation: async () => (await import('./propagation.ts')).propagationBench,
  'propagation-verify': async () =>
    (await import('./propagation-verify.ts')).propagationVerifyBench,
  publish: async () => (await import('./publish.ts')).publishBench,
  'storage-drivers': async () => (await import('./storage-drivers.ts')).storageDriversBench,
  'propagation-ssh': async () => (await import('./propagation-ssh.ts')).propagationSshBench,
  'cli-startup': async () => (await import('./cli-startup.ts')).cliStartupBench,
};

async function runOne(load: () => Promise<BenchModule>): Promise<void> {
  const bench = await load();
  process.stdout.write(`\n${bench.name}: ${bench.description}\n`);
  const report = await bench.run();
  process.stdout.write(`\n${formatTable(report.rows)}\n\n`);
  for (const t of report.targets) {
    const verdict = t.met ? 'met' : 'NOT met';
    process.stdout.write(
      t.equals === undefined
        ? `target ${t.name} ≥ ${t.atLeast}×: measured ${t.measured}× (${verdict})\n`
        : `target ${t.name} = ${t.equals}: measured ${t.measured} (${verdict})\n`,
    );
  }
  for (const note of report.notes ?? []) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(`wrote ${await writeReport(report)}\n`);
}

async function main(names: readonly string[]): Promise<number> {
  const wanted = names.length > 0 ? names : Object.keys(benches);
  const unknown = wanted.filter((name) => !Object.hasOwn(benches, name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}\n`,
    );
    return 2;
  }
  let failed = 0;
  for (const name of wanted) {
    const load = benches[name];
    if (!load) continue;
    try {
      await runOne(load);
    } catch (cause) {
      failed++;
      process.stderr.write(
        `bench ${name} failed: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
