import type { Measurement } from './measure.ts';

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '-';

/** A plain-text table, one row per measurement, grouped as measured. */
export function formatTable(rows: readonly Measurement[]): string {
  // The origin column only where a bench counts requests at the git server.
  const origin = rows.some((r) => r.originRequests !== undefined);
  const header = ['group', 'method', 'ops', 'total ms (median)', 'p95 ms', 'per-op ms', 'speed-up'];
  if (origin) header.push('origin git requests/op');
  const body = rows.map((r) => [
    r.group,
    r.method,
    String(r.ops),
    fixed(r.medianMs, 1),
    fixed(r.p95Ms, 1),
    fixed(r.perOpMs, 3),
    r.baseline ? '1× (baseline)' : `${fixed(r.speedup, 1)}×`,
    ...(origin ? [r.originRequests === undefined ? '-' : String(r.originRequests)] : []),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(header), rule, ...body.map(line)].join('\n');
}
