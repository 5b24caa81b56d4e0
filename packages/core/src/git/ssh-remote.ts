/**
 * An SSH remote made ready for one fetch: the login asked for afresh, the known hosts read,
 * and the transport isomorphic-git is given (see `ssh-transport.ts`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { berthError, describeCause, type GitAuthError, type GitFetchError } from '../errors';
import { knownHostsLine, knownHostsName, knownKeysFor } from './known-hosts';
import { sshLogin, type GitSshAuthCallback } from './ssh-auth';
import { sshClient, type SshClientHandle } from './ssh-transport';
import type { GitUrl } from './url';

/** How an SSH server's host key is trusted. Default: `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`. */
export interface GitHostKeyOptions {
  /** known_hosts files to read, instead of the defaults (or `BERTH_SSH_KNOWN_HOSTS`, `:`-separated). */
  readonly knownHostsFiles?: readonly string[];
  /** Pinned fingerprints, `SHA256:…` as `ssh-keygen -lf` prints them (or `BERTH_SSH_HOST_FINGERPRINT`). */
  readonly fingerprints?: readonly string[];
  /**
   * Opt-in trust on first use: an unknown host's key is accepted and appended to the first
   * known_hosts file. A changed key is refused all the same. Default false.
   */
  readonly acceptNew?: boolean;
}

type SshUrl = Extract<GitUrl, { transport: 'ssh' }>;
type Env = Readonly<Record<string, string | undefined>>;

/** What `fetchRevision` is given for an SSH remote. */
export interface SshFetchTransport {
  readonly url: string;
  readonly open: (signal: AbortSignal) => SshClientHandle;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

function knownHostsFiles(options: GitHostKeyOptions | undefined, env: Env) {
  if (options?.knownHostsFiles) return { files: [...options.knownHostsFiles], explicit: true };
  const named = env.BERTH_SSH_KNOWN_HOSTS?.split(':').filter((path) => path.length > 0) ?? [];
  if (named.length > 0) return { files: named, explicit: true };
  return {
    files: [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
    explicit: false,
  };
}

async function readKnownHosts(files: readonly string[], explicit: boolean): Promise<string> {
  const texts = await Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (cause) {
        if ((cause as { code?: unknown }).code === 'ENOENT' && !explicit) return '';
        throw cause;
      }
    }),
  );
  return texts.join('\n');
}

/** Everything one SSH fetch needs, or why it cannot start (nothing is sent before the host is trusted). */
export function sshRemote(
  remote: SshUrl,
  auth: GitSshAuthCallback | undefined,
  hostKeys: GitHostKeyOptions | undefined,
  env: Env,
): ResultAsync<SshFetchTransport, GitAuthError | GitFetchError> {
  const { url } = remote;
  const pinned = hostKeys?.fingerprints ?? env.BERTH_SSH_HOST_FINGERPRINT?.split(',') ?? [];
  const badPin = pinned.find((pin) => !FINGERPRINT.test(pin));
  if (badPin !== undefined) {
    return errAsync(
      berthError.gitFetch({
        url,
        reason: 'protocol',
        message: `"${badPin}" is not a SHA256 host-key fingerprint (ssh-keygen -lf prints SHA256:<43 characters>)`,
      }),
    );
  }
  const { files, explicit } = knownHostsFiles(hostKeys, env);
  const name = knownHostsName(remote.host, remote.port);
  const known = ResultAsync.fromPromise(readKnownHosts(files, explicit), (cause) =>
    berthError.gitFetch({
      url,
      reason: 'cache',
      message: `cannot read known_hosts (${files.join(', ')}): ${describeCause(cause)}`,
      cause,
    }),
  );
  return known.andThen((text) =>
    sshLogin(url, remote.user, auth, env).andThen((login) => {
      const first = files[0];
      const acceptNew =
        hostKeys?.acceptNew === true && first !== undefined
          ? (blob: Buffer) => {
              mkdirSync(dirname(first), { recursive: true, mode: 0o700 });
              appendFileSync(first, knownHostsLine(name, blob), { mode: 0o600 });
            }
          : undefined;
      const target = {
        url,
        host: remote.host,
        port: remote.port,
        path: remote.path,
        known: knownKeysFor(text, name),
        pinned,
        acceptNew,
      };
      return okAsync({
        // isomorphic-git wants an http(s) URL; the client behind it ignores all but the suffix.
        url: 'http://ssh.berth.invalid/repository',
        open: (signal: AbortSignal) => sshClient(target, login, signal),
      });
    }),
  );
}
