import type Dockerode from 'dockerode';
import { okAsync, type ResultAsync } from 'neverthrow';
import { isBerthError, type RegistryAuthError } from '../errors';
import { bounded } from '../util/bounded';
import { daemonMessage, statusOf } from './api';
import { refusesAuth, registryAuthFailure, type PullTarget } from './pull-errors';
import type { EngineAuthConfig } from './pull-auth';

/** The diagnosis is one small registry round trip; it must never hold up the report of a failure. */
const DIAGNOSIS_TIMEOUT_MS = 10_000;

/**
 * After a pull failed with a message that names no cause berth can classify, asks the daemon
 * for the image's registry descriptor (`GET /distribution/<ref>/json`) with the same
 * credentials. Unlike the pull, that call does not fall back from https to plain http on an
 * insecure registry, so it reports the registry's own refusal (see pull-errors.ts). Resolves to
 * a `RegistryAuth` error when that is what it finds, else `undefined`: it never fails itself.
 */
export function diagnoseAuthRefusal(
  client: Dockerode,
  target: PullTarget,
  auth: EngineAuthConfig | undefined,
  signal: AbortSignal,
): ResultAsync<RegistryAuthError | undefined, never> {
  return bounded(
    {
      operation: `inspect ${target.image} in its registry`,
      timeoutMs: DIAGNOSIS_TIMEOUT_MS,
      signal,
    },
    () => client.getImage(target.image).distribution(auth ? { authconfig: auth } : {}),
    (cause) => cause,
  )
    .map((): RegistryAuthError | undefined => undefined)
    .orElse((cause) => {
      if (isBerthError(cause)) return okAsync(undefined);
      const status = statusOf(cause);
      const said = daemonMessage(cause);
      const refused = status === 401 || status === 403 || refusesAuth(said);
      return okAsync(refused ? registryAuthFailure(target, said, cause) : undefined);
    });
}
