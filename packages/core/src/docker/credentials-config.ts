import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { berthError, describeCause, type InvalidInputError } from '../errors';

/**
 * Registry credentials as berth hands them to the engine (the `X-Registry-Auth` header).
 * Either a user name and password, or an identity token (an OAuth refresh token, what
 * `docker login` stores as `identitytoken` for registries that issue one).
 */
export interface RegistryCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
}

/** The parts of `config.json` that say where a registry's credentials live. */
export interface DockerConfigFile {
  readonly path: string;
  readonly auths: Readonly<Record<string, unknown>>;
  readonly credsStore?: string;
  readonly credHelpers: Readonly<Record<string, unknown>>;
}

/** Where the Docker CLI keeps Docker Hub's credentials: its v1 index URL, not `docker.io`. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `$DOCKER_CONFIG`, else `$HOME/.docker`: the Docker CLI's rule, applied to an env read once by the caller. */
export function defaultDockerConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** The host (with port) a config key or registry names: `https://host:5000/v2/` → `host:5000`. */
function hostOf(keyOrRegistry: string): string {
  const stripped = keyOrRegistry.replace(/^https?:\/\//i, '');
  const host = stripped.split('/', 1)[0] ?? '';
  return DOCKER_HUB_HOSTS.has(host.toLowerCase()) ? 'docker.io' : host.toLowerCase();
}

/**
 * The key the Docker CLI stores a registry's credentials under, and the server URL it gives a
 * credential helper: `https://index.docker.io/v1/` for Docker Hub, else `host[:port]`.
 */
export function registryServerKey(registry: string): string {
  const host = hostOf(registry);
  return host === 'docker.io' ? DOCKER_HUB_SERVER : host;
}

/**
 * The entry for `serverKey`: the exact key first, then (as the CLI does for older config files)
 * any key naming the same host with or without a scheme or path. Docker Hub's aliases
 * (`docker.io`, `index.docker.io`, `registry-1.docker.io`) all name one registry.
 */
export function entryFor<T>(
  record: Readonly<Record<string, T>>,
  serverKey: string,
): [key: string, value: T] | undefined {
  if (Object.hasOwn(record, serverKey)) return [serverKey, record[serverKey] as T];
  const wanted = hostOf(serverKey);
  const key = Object.keys(record).find((k) => hostOf(k) === wanted);
  return key === undefined ? undefined : [key, record[key] as T];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses `config.json`, keeping only what credentials need. A file that is not JSON is refused. */
export function parseDockerConfig(
  text: string,
  path: string,
): Result<DockerConfigFile, InvalidInputError> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return err(
      berthError.invalidInput({
        field: 'dockerConfigDir',
        message: `${path} is not valid JSON: ${describeCause(cause)}`,
        cause,
      }),
    );
  }
  if (!isRecord(parsed)) {
    return err(
      berthError.invalidInput({
        field: 'dockerConfigDir',
        message: `${path} does not hold a JSON object`,
      }),
    );
  }
  const { auths, credsStore, credHelpers } = parsed;
  return ok({
    path,
    auths: isRecord(auths) ? auths : {},
    credHelpers: isRecord(credHelpers) ? credHelpers : {},
    ...(typeof credsStore === 'string' && credsStore !== '' && { credsStore }),
  });
}

/** Reads `<dir>/config.json`; no file means no configuration (`undefined`), as for the CLI. */
export function readDockerConfig(
  dir: string,
): ResultAsync<DockerConfigFile | undefined, InvalidInputError> {
  const path = join(dir, 'config.json');
  const text = readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return undefined;
    throw cause;
  });
  return ResultAsync.fromPromise(text, (cause) =>
    berthError.invalidInput({
      field: 'dockerConfigDir',
      message: `cannot read ${path}: ${describeCause(cause)}`,
      cause,
    }),
  ).andThen((found) => (found === undefined ? ok(undefined) : parseDockerConfig(found, path)));
}

/** Where a registry's credentials come from, by the CLI's precedence. */
export type CredentialSource =
  | { readonly from: 'credHelpers' | 'credsStore'; readonly helper: string }
  | { readonly from: 'auths'; readonly key: string; readonly entry: unknown }
  | { readonly from: 'none' };

/** `credHelpers[registry]`, else `credsStore`, else the `auths` entry, else nothing. */
export function credentialSource(config: DockerConfigFile, serverKey: string): CredentialSource {
  const helper = entryFor(config.credHelpers, serverKey);
  if (helper && typeof helper[1] === 'string' && helper[1] !== '') {
    return { from: 'credHelpers', helper: helper[1] };
  }
  if (config.credsStore) return { from: 'credsStore', helper: config.credsStore };
  const entry = entryFor(config.auths, serverKey);
  return entry ? { from: 'auths', key: entry[0], entry: entry[1] } : { from: 'none' };
}

/**
 * Credentials from one `auths` entry: `auth` (base64 of `user:password`, split at the first
 * colon, as the CLI does) wins over `username`/`password`; `identitytoken` rides along. An entry
 * with none of them (Docker Desktop leaves `{}` behind) means no credentials.
 */
export function credentialsFromAuthEntry(
  entry: unknown,
  where: string,
): Result<RegistryCredentials | undefined, InvalidInputError> {
  if (!isRecord(entry)) return ok(undefined);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  let username = text(entry.username);
  let password = text(entry.password);
  const identityToken = text(entry.identitytoken);
  const auth = text(entry.auth);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (!/^[A-Za-z0-9+/=\s]+$/.test(auth) || colon < 0) {
      return err(
        berthError.invalidInput({
          field: 'dockerConfigDir',
          message: `${where}: "auth" is not base64 of "user:password"`,
        }),
      );
    }
    username = decoded.slice(0, colon) || undefined;
    password = decoded.slice(colon + 1) || undefined;
  }
  if (username === undefined && password === undefined && identityToken === undefined) {
    return ok(undefined);
  }
  return ok({
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(identityToken !== undefined && { identityToken }),
  });
}
