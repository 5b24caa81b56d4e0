// `berth publish` (the built bin) over SSH, into a directory: keys and known_hosts found where
// a node (or a container with ~/.ssh mounted) has them, and refused ones leaving nothing behind.
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { berth, jsonOf } from '../packages/cli/test/run-bin';
import { commitFiles, useGitFixtures } from './support/git';
import { sshEnv, sshUrl } from './support/git-ssh';

const fixtures = useGitFixtures();
const env = sshEnv();
/** No agent, no key or known_hosts from the environment: only what the test gives. */
const clean = {
  SSH_AUTH_SOCK: undefined,
  BERTH_SSH_KEY: undefined,
  BERTH_SSH_KNOWN_HOSTS: undefined,
  BERTH_SSH_PASSPHRASE: undefined,
  BERTH_SSH_HOST_FINGERPRINT: undefined,
};

describe('berth publish over ssh', () => {
  it('publishes with the key and known_hosts of ~/.ssh, as in a container with ~/.ssh mounted', async () => {
    const repo = await fixtures.repo('cli-ssh');
    const sha = await commitFiles(repo, { 'index.html': 'by ssh\n' });
    const home = await fixtures.dir('berth-ssh-home');
    await mkdir(join(home, '.ssh'), { mode: 0o700 });
    await copyFile(env.key, join(home, '.ssh', 'id_ed25519'));
    await copyFile(env.knownHosts, join(home, '.ssh', 'known_hosts'));
    const dir = await fixtures.dir('berth-ssh-www');

    const result = await berth(['publish', '--repo', sshUrl(repo), '--ref', 'main', '--dir', dir], {
      env: { ...clean, HOME: home },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`published ${sha}`);
    expect(await readFile(join(dir, 'current', 'index.html'), 'utf8')).toBe('by ssh\n');
  });

  it('exits 3 with GitAuth for a wrong key and with GitHostUnknown for an unknown host, publishing nothing', async () => {
    const repo = await fixtures.repo('cli-ssh-refused');
    await commitFiles(repo, { 'index.html': 'secret\n' });
    const home = await fixtures.dir('berth-ssh-empty-home');
    const dir = await fixtures.dir('berth-ssh-www');
    const emptyKnownHosts = join(home, 'known_hosts');
    await writeFile(emptyKnownHosts, '');
    const publish = (extra: Record<string, string>) =>
      berth(['publish', '--repo', sshUrl(repo), '--dir', dir, '--json'], {
        env: { ...clean, HOME: home, ...extra },
      });

    const wrongKey = await publish({
      BERTH_SSH_KEY: env.keyWrong,
      BERTH_SSH_KNOWN_HOSTS: env.knownHosts,
    });
    expect(wrongKey.code).toBe(3);
    expect(jsonOf(wrongKey)).toMatchObject({ error: { kind: 'GitAuth' } });
    const keyText = (await readFile(env.keyWrong, 'utf8')).split('\n')[1] ?? '';
    expect(wrongKey.stdout + wrongKey.stderr).not.toContain(keyText.slice(0, 16));

    const unknown = await publish({
      BERTH_SSH_KEY: env.key,
      BERTH_SSH_KNOWN_HOSTS: emptyKnownHosts,
    });
    expect(unknown.code).toBe(3);
    expect(jsonOf(unknown)).toMatchObject({
      error: { kind: 'GitHostUnknown', host: `[127.0.0.1]:${env.port}` },
    });
    expect(JSON.stringify(jsonOf(unknown))).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(await readdir(dir)).toEqual([]);
  });
});
