// A one-line progress display on stderr: redrawn in place on a terminal, silent anywhere else
// (a pipe, a file, a Jenkins log), so `--json` output and logs stay clean.

export interface ProgressLine {
  /** Shows `text` in place of the previous line; redraws at most every `intervalMs` unless `force`. */
  update(text: string, force?: boolean): void;
  /** Removes the line (before a result or an error is printed). */
  clear(): void;
}

export interface ProgressLineOptions {
  readonly write: (text: string) => void;
  readonly enabled: boolean;
  readonly columns: number;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

const CLEAR_LINE = '\r\x1b[2K';

export function progressLine(options: ProgressLineOptions): ProgressLine {
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 100;
  let drawn = false;
  let last = -Infinity;
  return {
    update(text, force = false) {
      if (!options.enabled) return;
      const at = now();
      if (!force && at - last < intervalMs) return;
      last = at;
      drawn = true;
      // One character short of the width: a full line would wrap on some terminals.
      const width = Math.max(10, options.columns - 1);
      const shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      options.write(`${CLEAR_LINE}${shown}`);
    },
    clear() {
      if (!drawn) return;
      drawn = false;
      options.write(CLEAR_LINE);
    },
  };
}

/** `[########----------------]` for a fraction between 0 and 1. */
export function bar(fraction: number, width = 24): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Bytes the way Docker prints them: 1000-based, one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
