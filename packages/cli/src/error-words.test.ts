// Every failure the CLI can print is in the user's words: flags and environment variables, not
// the library's options. Unit checks over every kind, then the real failures from the real services.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berthError } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../test/support/git';
import { serviceEnv } from '../../../test/support/services';
import { captureIo } from '../test/capture-io';
import { inUserWords, userWords, WORDED_KINDS } from './error-words';
import { findingsReport } from './render/findings';
import { ExitCode, run } from './program';
import { failureOutcome } from './report';

/** The library's way of talking: option names, `x: true`, callbacks, function names. */
const JARGON =
  /\b\w+: true\b|\bthe \w+ option\b|\bcallback\b|\bprobeStorage\b|\bhelperImage\b|\btimeoutMs\b|\bResolution note\b|\bUNAVAILABLE\b/;

const LIBRARY_SAYS =
  'a container named web exists with another spec (pass replace: true to recreate it); timeoutMs must be positive; this probe: the ca option; put credentials in the auth callback, not in the URL; give probeStorage a helperImage with cat';

/** One of each berth error kind, made by the library's own constructors. */
const everyKind = Object.entries(berthError).map(([, make]) =>
  (make as (fields: object) => { kind: string; message: string })({
    message: LIBRARY_SAYS,
    endpoints: ['http://127.0.0.1:1'],
  }),
);

describe('inUserWords', () => {
  it('knows every kind of @berth/core and the CLI own ones', () => {
    expect(everyKind.length).toBeGreaterThan(20);
    for (const failure of everyKind) expect(WORDED_KINDS).toContain(failure.kind);
    expect(WORDED_KINDS).toEqual(expect.arrayContaining(['Usage', 'Internal']));
  });

  it.each([...everyKind.map((f) => [f.kind, f] as const)])(
    'prints %s without a library option, on stderr and in --json',
    (kind, failure) => {
      const outcome = failureOutcome(failure);
      const [line = ''] = outcome.errors;
      expect(line.startsWith(`${kind}: `)).toBe(true);
      expect(line).not.toMatch(JARGON);
      expect(JSON.stringify(outcome.document)).not.toMatch(JARGON);
      expect(outcome.document).toMatchObject({ error: { kind } });
    },
  );

  it('puts the library phrases in flags', () => {
    expect(userWords(LIBRARY_SAYS)).toBe(
      'a container named web exists with another spec (--replace recreates it); --timeout must be positive; this probe: --ca; give credentials with --git-user and BERTH_GIT_PASSWORD (or --password-stdin, --password-file), not in the URL; give --helper-image an image with cat',
    );
  });

  it('says credentials are needed when none were given, and to check them when some were', () => {
    const refused = berthError.gitAuth({
      url: 'http://git/x.git',
      statusCode: 401,
      message: 'http://git/x.git refused the credentials (HTTP 401)',
    });
    const none = inUserWords(refused, { flags: {} });
    expect(none.message).toBe('http://git/x.git needs credentials (HTTP 401), and none were given');
    expect(none).toMatchObject({ hint: expect.stringContaining('--git-user') });
    expect(none.hint).toContain('BERTH_GIT_PASSWORD');
    const some = inUserWords(refused, { flags: { gitUser: 'ci' } });
    expect(some.message).toBe(refused.message);
    expect(some.hint).toMatch(/^check the user and password/);
  });

  it('keeps a hint the command gave', () => {
    const failure = { ...berthError.timeout({ operation: 'x', timeoutMs: 1, message: 'x' }) };
    expect(inUserWords({ ...failure, hint: 'mine' })).toMatchObject({ hint: 'mine' });
  });

  it('words the fixes of findings too', () => {
    const report = findingsReport(
      {
        findings: [
          {
            id: 'tls.untrusted',
            severity: 'warn',
            message: 'untrusted',
            fix: 'pass the CA as ca, or insecure: true if you accept the risk',
          },
        ],
      } as never,
      '',
      'critical',
    );
    expect(report.text).toContain('pass the CA with --ca, or --insecure if you accept the risk');
    expect(JSON.stringify(report.document)).not.toMatch(JARGON);
  });
});

const fixtures = useGitFixtures();
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function berth(argv: string[], env: Record<string, string | undefined> = {}) {
  const captured = captureIo({ env: { ...process.env, ...env } });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('real failures, as the CLI prints them', () => {
  it('EtcdUnreachable names the endpoints and the variable, without gRPC resolution notes', async () => {
    const sha = 'a'.repeat(40);
    const result = await berth(
      [
        'deploy',
        '--key',
        'berth-test/words',
        '--commit',
        sha,
        '--etcd-endpoints',
        'http://127.0.0.1:1',
      ],
      { BERTH_ETCD_ENDPOINTS: undefined, ETCDCTL_ENDPOINTS: undefined },
    );
    expect(result.code).toBe(ExitCode.failure);
    expect(result.stderr).toMatch(
      /^EtcdUnreachable: no etcd member answered at http:\/\/127\.0\.0\.1:1\b/,
    );
    expect(result.stderr).toContain('BERTH_ETCD_ENDPOINTS');
    expect(result.stderr).toContain('--etcd-endpoints');
    expect(result.stderr).not.toMatch(JARGON);
  });

  it('GitAuth without credentials says they are needed and how to give them', async () => {
    const repo = await fixtures.repo('words-private', { private: true });
    await commitFiles(repo, { 'index.html': 'private\n' });
    const dir = await mkdtemp(join(tmpdir(), 'berth-words-'));
    scratch.push(dir);
    const result = await berth(['publish', '--repo', repo.url, '--dir', join(dir, 'www')], {
      BERTH_GIT_USER: undefined,
      BERTH_GIT_PASSWORD: undefined,
    });
    expect(result.code).toBe(ExitCode.failure);
    expect(result.stderr).toContain(`GitAuth: ${repo.url} needs credentials`);
    expect(result.stderr).toContain('none were given');
    expect(result.stderr).toMatch(/hint: give them with --git-user .*BERTH_GIT_PASSWORD/);
    expect(serviceEnv().gitPassword).toBeTruthy();
    expect(result.stderr).not.toContain(serviceEnv().gitPassword);
  });
});
