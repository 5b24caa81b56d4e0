import type { BenchReport } from './report.ts';

/** One benchmark: `bench/run.ts <name>` runs it, prints its table and writes its JSON. */
export interface BenchModule {
  readonly name: string;
  readonly description: string;
  /** Sets up, measures and cleans up after itself, even when it fails. */
  run(): Promise<BenchReport>;
}
