// A duration as `--timeout` takes it, without commander: the `berth name` fast path reads one too.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1h`, `1m30s` (a bare number is seconds) in ms, or why it is not one. */
export function durationMs(value: string): number | string {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return positive(Number(text) * 1_000, value);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    return `"${value}" is not a duration (e.g. 500ms, 30s, 2m, 1m30s).`;
  }
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit ?? 's'] ?? 0), 0);
  return positive(ms, value);
}

function positive(ms: number, value: string): number | string {
  if (!(Number.isFinite(ms) && ms >= 1)) return `"${value}" must be at least 1ms.`;
  return Math.round(ms);
}
