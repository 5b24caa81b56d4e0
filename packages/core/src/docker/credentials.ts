import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type CredentialHelperError,
  type InvalidInputError,
} from '../errors';
import {
  credentialSource,
  credentialsFromAuthEntry,
  defaultDockerConfigDir,
  readDockerConfig,
  registryServerKey,
  type RegistryCredentials,
} from './credentials-config';
import { runCredentialHelper } from './credentials-helper';

export type { RegistryCredentials } from './credentials-config';

/** Where to look for a registry's credentials, and how long a credential helper may take. */
export interface LookupRegistryCredentialsOptions {
  /** The directory holding `config.json`. Default `$DOCKER_CONFIG`, else `$HOME/.docker`. */
  readonly dockerConfigDir?: string;
  /**
   * The environment to read (`DOCKER_CONFIG`, `HOME`, and `PATH`, which finds
   * `docker-credential-<name>` programs). Default `process.env`, read once, when called.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long a credential helper may take to answer. Default 30 000 ms. */
  readonly helperTimeoutMs?: number;
  /** Stops the lookup, killing a helper that is still running: `Aborted`. */
  readonly signal?: AbortSignal;
}

/** What `lookupRegistryCredentials` can fail with: a bad config file, a failed helper, an abort. */
export type LookupRegistryCredentialsError =
  InvalidInputError | CredentialHelperError | AbortedError;

const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

/**
 * Finds the credentials the Docker CLI would use for `registry` (`docker.io`, `host:port`, or
 * a URL such as `https://host:port/v1/`), from `config.json`:
 *
 * 1. a `credHelpers` entry for the registry, else the `credsStore`: the program
 *    `docker-credential-<name>` is run with `get` and the server URL on stdin;
 * 2. else the `auths` entry: base64 `auth` (`user:password`), or `username`/`password`, plus
 *    `identitytoken`.
 *
 * Keys match like the CLI's: Docker Hub is `https://index.docker.io/v1/` (and `docker.io`,
 * `index.docker.io`, `registry-1.docker.io` name it too); any other registry matches by
 * `host:port`, with or without a scheme or path. Resolves to `undefined` when there is no
 * config file, no entry, or the helper answers "credentials not found". A config file that
 * cannot be read or parsed is an `InvalidInput` error (the CLI would warn and go on without
 * credentials; berth does not guess); a helper that fails is a `CredentialHelper` error.
 */
export function lookupRegistryCredentials(
  registry: string,
  options: LookupRegistryCredentialsOptions = {},
): ResultAsync<RegistryCredentials | undefined, LookupRegistryCredentialsError> {
  const env = { ...(options.env ?? process.env) };
  const timeoutMs = options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  if (typeof registry !== 'string' || registry.trim() === '') {
    return errAsync(
      berthError.invalidInput({ field: 'registry', message: 'registry must be a host or URL' }),
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return errAsync(
      berthError.invalidInput({
        field: 'helperTimeoutMs',
        message: `helperTimeoutMs must be a positive number, got ${timeoutMs}`,
      }),
    );
  }
  if (options.signal?.aborted) {
    return errAsync(
      berthError.aborted({
        operation: 'lookup registry credentials',
        message: 'lookup registry credentials was aborted',
      }),
    );
  }
  const dir = options.dockerConfigDir ?? defaultDockerConfigDir(env);
  const serverKey = registryServerKey(registry);
  return readDockerConfig(dir).andThen(
    (config): ResultAsync<RegistryCredentials | undefined, LookupRegistryCredentialsError> => {
      if (!config) return okAsync(undefined);
      const source = credentialSource(config, serverKey);
      switch (source.from) {
        case 'none':
          return okAsync(undefined);
        case 'auths': {
          const where = `${config.path} auths[${JSON.stringify(source.key)}]`;
          const found = credentialsFromAuthEntry(source.entry, where);
          return found.isOk() ? okAsync(found.value) : errAsync(found.error);
        }
        case 'credHelpers':
        case 'credsStore':
          return runCredentialHelper(source.helper, serverKey, {
            env,
            timeoutMs,
            signal: options.signal,
          });
        default: {
          const never: never = source;
          return never;
        }
      }
    },
  );
}
