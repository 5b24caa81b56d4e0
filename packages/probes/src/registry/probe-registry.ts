import { berthError, type AbortedError, type InvalidInputError } from '@berth/core';
import { ResultAsync, errAsync } from 'neverthrow';
import { assessRegistry, type RegistryFinding } from './assess-registry';
import { gatherRegistryFacts } from './gather-registry';
import type { RegistryFacts } from './registry-facts';
import type { RegistryCredentials } from './registry-session';
import { candidateBases, parseRegistryUrl } from './registry-url';

export interface ProbeRegistryOptions {
  /**
   * Checked against the registry when the connection is trusted: TLS that verified, plain HTTP on
   * loopback, or `insecure`. Never sent over TLS that did not verify, to the registry or to its
   * token service.
   */
  readonly credentials?: RegistryCredentials;
  /** PEM CA certificate(s) to trust for this registry, e.g. a self-signed one. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Like Docker's insecure-registries: plain HTTP and unverified TLS are allowed. Loopback always is. */
  readonly insecure?: boolean;
  /** Per request. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Try an anonymous upload (cancelled at once). Default true. */
  readonly checkPush?: boolean;
  /** A repository whose tags to read anonymously, e.g. `team/site`. */
  readonly repository?: string;
  /** Where the push check uploads. Default `berth-probe/push-check`. */
  readonly pushRepository?: string;
  readonly signal?: AbortSignal;
}

export interface RegistryReport {
  readonly facts: RegistryFacts;
  readonly findings: readonly RegistryFinding[];
}

export type ProbeRegistryError = InvalidInputError | AbortedError;

const REPOSITORY =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function checkRepository(value: unknown, field: string): InvalidInputError | undefined {
  return typeof value === 'string' && value.length <= 255 && REPOSITORY.test(value)
    ? undefined
    : berthError.invalidInput({
        field,
        message: `${field} ${JSON.stringify(value)} is not a repository name (e.g. team/site)`,
      });
}

/**
 * Looks at a registry the way an attacker would: is it there, over what (TLS verified,
 * self-signed, none), how does it ask for credentials, can anyone pull, list or push, and are
 * the given credentials accepted. HTTPS first; plain HTTP only for loopback or `insecure`.
 * An unreachable registry is a finding, not an error.
 */
export function probeRegistry(
  url: string,
  options: ProbeRegistryOptions = {},
): ResultAsync<RegistryReport, ProbeRegistryError> {
  const target = parseRegistryUrl(url);
  if (target.isErr()) return errAsync(target.error);
  const insecure = options.insecure === true;
  const bases = candidateBases(target.value, insecure);
  if (bases.length === 0) {
    return errAsync(
      berthError.invalidInput({
        field: 'url',
        message: `${url}: plain HTTP to ${target.value.host}, which is not loopback, needs insecure: true`,
      }),
    );
  }
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!(timeoutMs > 0))
    return errAsync(
      berthError.invalidInput({ field: 'timeoutMs', message: 'timeoutMs must be positive' }),
    );
  const pushRepository = options.pushRepository ?? 'berth-probe/push-check';
  const badRepository =
    checkRepository(pushRepository, 'pushRepository') ??
    (options.repository !== undefined
      ? checkRepository(options.repository, 'repository')
      : undefined);
  if (badRepository) return errAsync(badRepository);
  const operation = `probe registry ${target.value.host}`;
  const gathered = gatherRegistryFacts(target.value, {
    bases,
    insecure,
    timeoutMs,
    checkPush: options.checkPush ?? true,
    pushRepository,
    ...(options.repository !== undefined && { repository: options.repository }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  return ResultAsync.fromSafePromise(gathered).andThen((facts) =>
    facts === 'aborted'
      ? errAsync(berthError.aborted({ operation, message: `${operation} was aborted` }))
      : ResultAsync.fromSafePromise(Promise.resolve({ facts, findings: assessRegistry(facts) })),
  );
}
