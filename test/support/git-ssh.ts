// The git SSH service of `scripts/services up` (scripts/lib/sshd.sh): its URL for a repository
// of the git HTTP service, its test keys and its known_hosts.
import { readFile } from 'node:fs/promises';
import type { BareRepo } from './git';

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run \`scripts/services up\` first`);
  return value;
}

export function sshEnv() {
  return {
    port: Number(need('BERTH_TEST_GIT_SSH_PORT')),
    user: need('BERTH_TEST_GIT_SSH_USER'),
    key: need('BERTH_TEST_GIT_SSH_KEY'),
    keyEcdsa: need('BERTH_TEST_GIT_SSH_KEY_ECDSA'),
    keyRsa: need('BERTH_TEST_GIT_SSH_KEY_RSA'),
    passphrase: need('BERTH_TEST_GIT_SSH_PASSPHRASE'),
    keyWrong: need('BERTH_TEST_GIT_SSH_KEY_WRONG'),
    knownHosts: need('BERTH_TEST_GIT_SSH_KNOWN_HOSTS'),
  };
}

/** `ssh://user@127.0.0.1:port/<name>.git` for a repository of the git HTTP service. */
export function sshUrl(repo: BareRepo, port = sshEnv().port): string {
  return `ssh://${sshEnv().user}@127.0.0.1:${port}/${repo.name}.git`;
}

/** The server's host public key line (`ssh-ed25519 AAAA…`), from the services' known_hosts. */
export async function hostKeyLine(): Promise<string> {
  const text = await readFile(sshEnv().knownHosts, 'utf8');
  const [, type, key] = text.trim().split(/\s+/);
  return `${type} ${key}`;
}
