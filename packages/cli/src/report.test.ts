import type { Finding } from '@berth/probes';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { exitCodeOf, failureJson, failureLine, thrownFailure, withHint } from './failure';
import { failingFindings, findingsText } from './render/findings';
import { failureOutcome, reportOutcome, writeOutcome } from './report';

describe('exit codes', () => {
  it('makes refused arguments a usage error and everything else a runtime failure', () => {
    expect(exitCodeOf({ kind: 'Usage', message: 'm' })).toBe(ExitCode.usage);
    expect(exitCodeOf({ kind: 'InvalidInput', message: 'm' })).toBe(ExitCode.usage);
    for (const kind of [
      'NotFound',
      'DockerUnreachable',
      'EtcdUnreachable',
      'Timeout',
      'Internal',
    ]) {
      expect(exitCodeOf({ kind, message: 'm' })).toBe(ExitCode.failure);
    }
  });

  it('exits 1 for a problem found, and the first failure decides over it', () => {
    const document = { x: 1 };
    expect(reportOutcome({ document, text: '' }).exitCode).toBe(ExitCode.ok);
    expect(reportOutcome({ document, text: '', problem: true }).exitCode).toBe(ExitCode.findings);
    const failed = reportOutcome({
      document,
      text: '',
      problem: true,
      failures: [{ kind: 'NotFound', message: 'no such container: a' }],
    });
    expect(failed.exitCode).toBe(ExitCode.failure);
    expect(failed.document).toEqual({
      x: 1,
      error: { kind: 'NotFound', message: 'no such container: a' },
    });
  });
});

describe('failures as JSON and as a line', () => {
  it('keeps typed fields, reduces the cause to its message, drops what JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const json = failureJson({
      kind: 'DockerApi',
      message: 'boom',
      operation: 'container.create',
      statusCode: 500,
      cause: new Error('socket hang up'),
      cyclic,
    } as never);
    expect(json).toEqual({
      kind: 'DockerApi',
      message: 'boom',
      operation: 'container.create',
      statusCode: 500,
      cause: 'socket hang up',
    });
  });

  it('writes kind: message, with the hint on its own line', () => {
    const failure = withHint({ kind: 'Conflict', message: 'exists' }, 'add --replace');
    expect(failureLine(failure)).toBe('Conflict: exists\nhint: add --replace');
    expect(failureOutcome(failure).document).toEqual({
      error: { kind: 'Conflict', message: 'exists', hint: 'add --replace' },
    });
  });

  it('keeps a thrown berth error as it is, and makes anything else Internal', () => {
    expect(thrownFailure({ kind: 'Timeout', message: 'late' })).toEqual({
      kind: 'Timeout',
      message: 'late',
    });
    expect(thrownFailure(new TypeError('x is undefined'))).toEqual({
      kind: 'Internal',
      message: 'x is undefined',
    });
  });

  it('writes exactly one JSON document on stdout in --json mode, the error line on stderr', () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t) };
    writeOutcome(failureOutcome({ kind: 'NotFound', message: 'gone' }), io, true);
    expect(JSON.parse(stdout)).toEqual({ error: { kind: 'NotFound', message: 'gone' } });
    expect(stderr).toBe('NotFound: gone\n');
  });
});

describe('--fail-on', () => {
  const findings: Finding[] = [
    { id: 'a.info', severity: 'info', message: 'fyi' },
    { id: 'a.critical', severity: 'critical', message: 'bad', fix: 'fix it' },
    { id: 'a.warn', severity: 'warn', message: 'hmm', fix: 'fix it' },
    { id: 'a.warn', severity: 'warn', message: 'hmm again', fix: 'fix it' },
  ];

  it('fails on findings at or above the threshold, never with none', () => {
    expect(failingFindings(findings, 'critical').map((f) => f.id)).toEqual(['a.critical']);
    expect(failingFindings(findings, 'warn').map((f) => f.id)).toEqual([
      'a.critical',
      'a.warn',
      'a.warn',
    ]);
    expect(failingFindings(findings, 'none')).toEqual([]);
  });

  it('lists the findings most severe first and each fix once', () => {
    const text = findingsText(findings, 'critical');
    expect(text.split('\n')[1]).toMatch(/^critical\s+a\.critical\s+bad$/);
    expect(text.match(/a\.warn: fix it/g)).toHaveLength(1);
    expect(text).toContain('1 finding at or above --fail-on critical');
  });
});
