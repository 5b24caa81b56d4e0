/** One line of the storage-driver table: measured, or not run and why. */
export type DriverRow =
  | {
      readonly driver: string;
      readonly measured: true;
      readonly samplesMs: readonly number[];
      readonly medianMs: number;
      /** This driver's median over overlay2's: 2 means twice as slow. */
      readonly relativeToOverlay2: number;
      readonly logicalBytes: number;
      readonly onDiskBytes: number;
    }
  | { readonly driver: string; readonly measured: false; readonly reason: string };

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)}`;

/** The seed's table, measured here: median job time, relative to overlay2, disk logical vs on disk. */
export function formatDriverTable(rows: readonly DriverRow[]): string {
  const header = [
    'driver',
    'runs (s)',
    'median s',
    'vs overlay2',
    'logical MB',
    'on disk MB',
    'note',
  ];
  const body = rows.map((r) =>
    r.measured
      ? [
          r.driver,
          r.samplesMs.map((ms) => (ms / 1000).toFixed(1)).join(' '),
          (r.medianMs / 1000).toFixed(2),
          Number.isFinite(r.relativeToOverlay2) ? `${r.relativeToOverlay2.toFixed(2)}×` : '-',
          mb(r.logicalBytes),
          mb(r.onDiskBytes),
          '',
        ]
      : [r.driver, '-', '-', '-', '-', '-', `not run: ${r.reason}`],
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => (i === 6 ? 0 : (cells[i]?.length ?? 0)))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        i === 6 ? cell : i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}
