// `berth probe registry` as a Jenkins credential check runs it, against the real registries:
// whatever --fail-on says, a registry that does not answer, or credentials it refuses (or that
// could not be checked), must not exit 0.
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/support/net';
import { serviceEnv } from '../../../../test/support/services';
import { captureIo } from '../../test/capture-io';
import { ExitCode, run } from '../program';

const env = () => serviceEnv();

async function berth(argv: string[], password?: string) {
  const captured = captureIo({
    env: { ...process.env, BERTH_REGISTRY_USER: undefined, BERTH_REGISTRY_PASSWORD: password },
  });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('berth probe registry exits non-zero when it cannot do its check', () => {
  it('exits 3 when nothing answers, at the default --fail-on and with --fail-on none', async () => {
    const url = `127.0.0.1:${await freePort()}`;
    for (const failOn of [[], ['--fail-on', 'none']]) {
      const { code, stdout, stderr } = await berth(['--json', 'probe', 'registry', url, ...failOn]);
      expect(code).toBe(ExitCode.failure);
      expect(stderr).toContain(`RegistryUnreachable: nothing answered at ${url}`);
      expect(JSON.parse(stdout)).toMatchObject({
        facts: { reachable: false },
        error: { kind: 'RegistryUnreachable' },
      });
    }
  });

  it('exits 3 when the registry rejects the credentials given', async () => {
    const { code, stdout, stderr } = await berth(
      [
        '--json',
        'probe',
        'registry',
        env().authRegistryHttp,
        '--no-check-push',
        '--user',
        env().registryUser,
      ],
      'not-the-password',
    );
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toContain('CredentialsRejected');
    expect(stderr).toContain('hint: check --user and the password');
    expect(JSON.parse(stdout)).toMatchObject({
      facts: { credentials: 'rejected' },
      error: { kind: 'CredentialsRejected' },
    });
  });

  it('exits 3 when the credentials could not be sent over an untrusted connection', async () => {
    const { code, stderr } = await berth(
      [
        'probe',
        'registry',
        `https://${env().authRegistryTls}`,
        '--no-check-push',
        '--user',
        env().registryUser,
      ],
      env().registryPassword,
    );
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toContain('CredentialsNotChecked');
  });

  it('exits 0 when the credentials work and nothing reaches --fail-on', async () => {
    const { code, stderr } = await berth(
      [
        'probe',
        'registry',
        `https://${env().authRegistryTls}`,
        '--ca',
        env().registryCa,
        '--no-check-push',
        '--user',
        env().registryUser,
      ],
      env().registryPassword,
    );
    expect(stderr).toBe('');
    expect(code).toBe(ExitCode.ok);
  });
});
