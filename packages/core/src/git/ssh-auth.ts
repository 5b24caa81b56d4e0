/**
 * Who berth is to an SSH git server: a login, private keys (OpenSSH or PEM files, ed25519,
 * ECDSA, RSA, with a passphrase) and an ssh-agent, tried in that order: agent, then each key.
 * Asked afresh before every fetch, like the HTTP credentials, so rotated keys work.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
// ssh2 is CommonJS: its named exports exist only on the default export under Node's ESM.
import type { AuthMethod, ParsedKey } from 'ssh2';
import { ssh2 } from '../util/dependencies';
import { berthError, describeCause, type GitAuthError } from '../errors';

/** One private key: a file or its text, and its passphrase if it is encrypted. */
export interface GitSshKey {
  /** A private key file (OpenSSH `-----BEGIN OPENSSH PRIVATE KEY-----` or PEM). */
  readonly path?: string;
  /** The key itself, instead of `path`. */
  readonly privateKey?: string | Buffer;
  /** Its passphrase. Default: the environment's `BERTH_SSH_PASSPHRASE`. */
  readonly passphrase?: string;
}

/** What to log in with; every field is optional. */
export interface GitSshCredentials {
  /** The login. Default: the URL's user, else `git`. */
  readonly username?: string;
  /** Keys tried in order (after the agent). */
  readonly keys?: readonly GitSshKey[];
  /** An ssh-agent socket, or `false` for none. Default: `SSH_AUTH_SOCK`. */
  readonly agent?: string | false;
}

/**
 * Called before every SSH fetch. `undefined` means the defaults: `SSH_AUTH_SOCK`, then the
 * keys named in `BERTH_SSH_KEY` (paths separated by `:`), else `~/.ssh/id_ed25519`,
 * `id_ecdsa` and `id_rsa` where they exist.
 */
export type GitSshAuthCallback = () =>
  GitSshCredentials | undefined | PromiseLike<GitSshCredentials | undefined>;

/** The methods ssh2 tries, in order, each with everything it needs. */
export interface SshLogin {
  readonly username: string;
  readonly agent: string | undefined;
  readonly keys: ReadonlyArray<{ readonly label: string; readonly key: ParsedKey }>;
}

const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

type Env = Readonly<Record<string, string | undefined>>;

function defaultKeys(env: Env): { keys: GitSshKey[]; explicit: boolean } {
  const named = env.BERTH_SSH_KEY?.split(':').filter((path) => path.length > 0) ?? [];
  if (named.length > 0) return { keys: named.map((path) => ({ path })), explicit: true };
  const dir = join(homedir(), '.ssh');
  return { keys: DEFAULT_KEY_FILES.map((name) => ({ path: join(dir, name) })), explicit: false };
}

/**
 * Loads one key; `undefined` for a default key file that does not exist. A wrong or missing
 * passphrase is an error naming the key, never the passphrase.
 */
async function loadKey(
  key: GitSshKey,
  index: number,
  env: Env,
  explicit: boolean,
): Promise<{ label: string; key: ParsedKey } | undefined | string> {
  const label = key.path ?? `key #${index + 1}`;
  let data: string | Buffer;
  if (key.privateKey !== undefined) data = key.privateKey;
  else if (typeof key.path === 'string') {
    try {
      data = await readFile(key.path);
    } catch (cause) {
      const missing = (cause as { code?: unknown }).code === 'ENOENT';
      if (missing && !explicit) return undefined;
      return `cannot read the key ${label}: ${describeCause(cause)}`;
    }
  } else return `${label} has neither path nor privateKey`;
  const passphrase = key.passphrase ?? env.BERTH_SSH_PASSPHRASE;
  let parsed: ParsedKey | ParsedKey[] | Error;
  try {
    parsed = ssh2().utils.parseKey(data, passphrase);
  } catch (cause) {
    parsed = cause instanceof Error ? cause : new Error(describeCause(cause));
  }
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt|bad/i.test(parsed.message);
    if (encrypted && passphrase === undefined) {
      return `the key ${label} is encrypted: give its passphrase (BERTH_SSH_PASSPHRASE or the callback)`;
    }
    return encrypted
      ? `cannot decrypt the key ${label}: wrong passphrase?`
      : `the key ${label} is not a private key ssh2 can read`;
  }
  const one: ParsedKey | undefined = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (!one?.isPrivateKey()) return `the key ${label} is not a private key`;
  return { label, key: one };
}

/** The login for one fetch: the callback asked afresh (or the defaults), every key loaded. */
export function sshLogin(
  url: string,
  urlUser: string | undefined,
  auth: GitSshAuthCallback | undefined,
  env: Env,
): ResultAsync<SshLogin, GitAuthError> {
  const failed = (message: string, cause?: unknown): GitAuthError =>
    berthError.gitAuth({ url, message: `ssh credentials for ${url}: ${message}`, cause });
  const asked = auth
    ? ResultAsync.fromPromise((async () => auth())(), (cause) =>
        failed(`the ssh auth callback failed: ${describeCause(cause)}`),
      )
    : okAsync(undefined);
  return asked.andThen((given) => {
    if (given !== undefined && (typeof given !== 'object' || given === null)) {
      return errAsync(failed('the ssh auth callback must return an object or undefined'));
    }
    const credentials: GitSshCredentials = given ?? {};
    const { keys, explicit } =
      credentials.keys !== undefined
        ? { keys: [...credentials.keys], explicit: true }
        : defaultKeys(env);
    const agent =
      credentials.agent === false
        ? undefined
        : (credentials.agent ?? env.SSH_AUTH_SOCK) || undefined;
    const username = credentials.username ?? urlUser ?? 'git';
    return ResultAsync.fromSafePromise(
      Promise.all(keys.map((key, index) => loadKey(key, index, env, explicit))),
    ).andThen((loaded) => {
      const problem = loaded.find((entry): entry is string => typeof entry === 'string');
      if (problem !== undefined) return errAsync(failed(problem));
      const usable = loaded.filter((entry) => entry !== undefined && typeof entry !== 'string');
      if (usable.length === 0 && agent === undefined) {
        return errAsync(
          failed('no key and no agent: give keys (BERTH_SSH_KEY or the callback) or SSH_AUTH_SOCK'),
        );
      }
      return okAsync({ username, agent, keys: usable });
    });
  });
}

/** The methods ssh2 tries, in order: the agent, then each key. */
export function authMethods(login: SshLogin): AuthMethod[] {
  const { username } = login;
  return [
    ...(login.agent ? [{ type: 'agent', username, agent: login.agent }] : []),
    ...login.keys.map(({ key }) => ({ type: 'publickey', username, key })),
  ] as AuthMethod[];
}
