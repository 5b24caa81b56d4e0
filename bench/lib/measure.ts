import { performance } from 'node:perf_hooks';
import { median, quantile } from './stats.ts';

/** One thing to time: `run` does `ops` operations (200 lookups, 20 creates …) per sample. */
export interface Scenario {
  /** Rows in one group are compared with the group's baseline. */
  readonly group: string;
  readonly method: string;
  readonly ops: number;
  readonly baseline?: boolean;
  readonly run: () => Promise<void>;
}

export interface Measurement {
  readonly group: string;
  readonly method: string;
  readonly ops: number;
  readonly baseline: boolean;
  /** Wall time of each sample, in ms. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly perOpMs: number;
  /** The group baseline's median over this one's; 1 for the baseline itself. */
  readonly speedup: number;
  /** Median upload-pack requests that reached the git server per operation (a deploy), if counted. */
  readonly originRequests?: number;
}

/** Runs `run` `repeats` times, one after another, and keeps each wall time. */
export async function timeRepeated(run: () => Promise<void>, repeats: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Times every scenario in turn, then sets each one against its group's baseline. */
export async function measureAll(
  scenarios: readonly Scenario[],
  repeats: number,
): Promise<Measurement[]> {
  const timed: Omit<Measurement, 'speedup'>[] = [];
  for (const scenario of scenarios) {
    const samplesMs = await timeRepeated(scenario.run, repeats);
    const medianMs = median(samplesMs);
    timed.push({
      group: scenario.group,
      method: scenario.method,
      ops: scenario.ops,
      baseline: scenario.baseline ?? false,
      samplesMs,
      medianMs,
      p95Ms: quantile(samplesMs, 0.95),
      perOpMs: medianMs / scenario.ops,
    });
  }
  return timed.map((row) => {
    const base = timed.find((other) => other.group === row.group && other.baseline);
    return { ...row, speedup: base ? base.perOpMs / row.perOpMs : Number.NaN };
  });
}
