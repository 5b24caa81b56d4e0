import { findingsAtLeast, type Finding, type Severity } from '@berth/probes';
import { table } from './table';
import type { Report } from '../report';
import { userWords } from '../error-words';

/** The finding's advice in the CLI's words (`--ca`, not `the ca option`). */
const worded = (f: Finding): Finding => ({
  ...f,
  message: userWords(f.message),
  ...(f.fix !== undefined && { fix: userWords(f.fix) }),
});

/** `--fail-on`: the severity that makes a probe exit 1, or `none` to never fail on findings. */
export type FailOn = Severity | 'none';

export const FAIL_ON_CHOICES: readonly FailOn[] = ['info', 'warn', 'critical', 'none'];

/** The findings that make the command exit 1, most severe first. */
export function failingFindings(findings: readonly Finding[], failOn: FailOn): Finding[] {
  return failOn === 'none' ? [] : findingsAtLeast(findings, failOn);
}

/** What every probe's JSON document carries about `--fail-on`: the threshold and the ids over it, once each. */
export function verdictJson(findings: readonly Finding[], failOn: FailOn) {
  return { failOn, failing: [...new Set(failingFindings(findings, failOn).map((f) => f.id))] };
}

/** The findings as a table, most severe first, then what to do about each. */
export function findingsText(findings: readonly Finding[], failOn: FailOn): string {
  if (findings.length === 0) return 'no findings\n';
  const sorted = findingsAtLeast(findings, 'info');
  // One line per distinct advice: two findings of one id (two package managers) share theirs.
  const fixes = [
    ...new Map(
      sorted.flatMap((f) => (f.fix !== undefined ? [[`${f.id}\0${f.fix}`, f] as const] : [])),
    ).values(),
  ];
  const failing = failingFindings(findings, failOn);
  return [
    table(
      ['severity', 'id', 'message'],
      sorted.map((f) => [f.severity, f.id, f.message]),
    ),
    fixes.length > 0 ? `\nFixes:\n${fixes.map((f) => `  ${f.id}: ${f.fix}\n`).join('')}` : '',
    failing.length > 0
      ? `\n${failing.length} finding${failing.length === 1 ? '' : 's'} at or above --fail-on ${failOn}\n`
      : '',
  ].join('');
}

/**
 * A probe's or an audit's report as the command's result: the report with the verdict for
 * `--json`, `summary` then the findings for people, and exit 1 when any finding fails.
 */
export function findingsReport(
  given: { readonly findings: readonly Finding[] },
  summary: string,
  failOn: FailOn,
): Report {
  const report = { ...given, findings: given.findings.map(worded) };
  return {
    document: { ...report, ...verdictJson(report.findings, failOn) },
    text: summary + findingsText(report.findings, failOn),
    problem: failingFindings(report.findings, failOn).length > 0,
  };
}
