import { mkdir, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './measure.ts';

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** What the numbers were measured on. */
export function machineInfo() {
  const cores = cpus();
  return {
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cores[0]?.model ?? 'unknown',
    cpus: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    /** 1, 5 and 15 minutes, when the report is written: a busy machine slows the CLI most. */
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

export interface EngineInfo {
  readonly endpoint: string;
  readonly engineVersion: string;
  readonly apiVersion: string;
}

export interface Target {
  readonly name: string;
  /** The speed-up aimed for (reported, not asserted). */
  readonly atLeast: number;
  readonly measured: number;
  readonly met: boolean;
  /** Set for a count to hit exactly (origin requests per deploy), not a speed-up to reach. */
  readonly equals?: number;
}

export interface BenchReport {
  readonly name: string;
  readonly engine: EngineInfo;
  /** Which berth was measured: its version and the file `@berth/core` resolved to. */
  readonly berth: { readonly version: string; readonly resolvedFrom: string };
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly rows: readonly Measurement[];
  readonly ratios: Readonly<Record<string, number>>;
  readonly targets: readonly Target[];
  readonly notes?: readonly string[];
}

/** Writes `bench/results/<name>.json` with the machine, date and versions; returns its path. */
export async function writeReport(report: BenchReport): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = `${resultsDir}${report.name}.json`;
  const document = {
    bench: report.name,
    date: new Date().toISOString(),
    node: process.version,
    machine: machineInfo(),
    engine: report.engine,
    berth: report.berth,
    parameters: report.parameters,
    rows: report.rows,
    ratios: report.ratios,
    targets: report.targets,
    ...(report.notes && { notes: report.notes }),
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

export function target(name: string, atLeast: number, measured: number): Target {
  return { name, atLeast, measured: Math.round(measured * 10) / 10, met: measured >= atLeast };
}

/** A count that must come out exactly `equals` (e.g. origin fetches per deploy). */
export function countTarget(name: string, equals: number, measured: number): Target {
  return { name, atLeast: equals, equals, measured, met: measured === equals };
}
