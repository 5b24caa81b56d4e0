/** How much a finding matters. */
export type Severity = 'info' | 'warn' | 'critical';

/**
 * What a probe found, machine-readable. `id` is stable (`registry.anonymous-push`,
 * `storage.devicemapper-loop`): scripts and `--fail-on` match on it, never on `message`.
 */
export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  /** What to do about it, when there is something to do. */
  readonly fix?: string;
}

const RANK: Readonly<Record<Severity, number>> = { info: 0, warn: 1, critical: 2 };

/** True when `severity` is `threshold` or worse. */
export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/** The findings at `threshold` or worse, most severe first. */
export function findingsAtLeast(findings: readonly Finding[], threshold: Severity): Finding[] {
  return findings
    .filter((f) => severityAtLeast(f.severity, threshold))
    .sort((a, b) => RANK[b.severity] - RANK[a.severity]);
}

export function isSeverity(value: unknown): value is Severity {
  return value === 'info' || value === 'warn' || value === 'critical';
}
