import {
  berthError,
  type DockerApiError,
  type ImagePullFailedError,
  type NotFoundError,
  type RegistryAuthError,
} from '../errors';
import { daemonMessage } from './api';
import type { PullStreamFailure } from './pull-stream';

/** The ways a pull the engine accepted can fail. */
export type PullFailure = RegistryAuthError | NotFoundError | ImagePullFailedError | DockerApiError;

/** What a failure is about: the image as the caller named it, and whether credentials went along. */
export interface PullTarget {
  /** The normalized reference. */
  readonly image: string;
  /** `docker.io` or `host[:port]`. */
  readonly registry: string;
  readonly sentCredentials: boolean;
}

/*
 * What dockerd 20.10.24 (API 1.41) answers when a registry refuses authentication, measured
 * against a registry behind nginx `auth_basic` (an HTML 401, no JSON body) on 127.0.0.1, which
 * dockerd treats as insecure (it tries https://, then falls back to http://):
 *
 *   POST /images/create, no X-Registry-Auth, http://127.0.0.1:5080
 *     → HTTP 500 {"message":"Head \"http://127.0.0.1:5080/v2/<repo>/manifests/1\": no basic auth credentials"}
 *   POST /images/create, wrong password (either port)
 *     → HTTP 500 {"message":"unauthorized: authentication required"}
 *   POST /images/create, no X-Registry-Auth, https://127.0.0.1:5443
 *     → HTTP 500 {"message":"error parsing HTTP 400 response body: … The plain HTTP request was
 *       sent to HTTPS port …"}: the https attempt failed with "no basic auth credentials", the
 *       daemon fell back to plain http on the TLS port, and only that last error is reported.
 *       Nothing in it says "auth", so pullImage asks GET /distribution/<ref>/json (see
 *       pull-diagnose.ts), which tries https only and answers
 *       HTTP 500 {"message":"Head \"https://…\": no basic auth credentials"}
 *       (and HTTP 401 {"message":"unauthorized: authentication required"} for a wrong password).
 *   POST /images/create, a tag the registry does not have
 *     → HTTP 404 {"message":"manifest for <ref> not found: manifest unknown: manifest unknown"}
 *
 * The daemon (distribution/errors.go translatePullError) maps a registry's UNAUTHORIZED to
 * errdefs.Unknown, hence 500, not 401; its DENIED, MANIFEST_UNKNOWN and NAME_UNKNOWN become 404
 * ("pull access denied … may require 'docker login'" is Docker Hub's answer for a repository
 * that does not exist or is private: berth reports it as the daemon classed it, NotFound).
 * These errors come back as the create call's status, because the daemon writes no progress
 * before it has the manifest; an error line in the stream (`errorDetail`, almost never with a
 * `code`) means a later step failed, e.g. a layer that does not match its digest.
 *
 * So: 401/403 → RegistryAuth, 404 → NotFound, by status. A 500's JSON message is read for the
 * registry client's stable error codes and sentinel errors (docker/distribution
 * `errcode.ErrorCode*.Error()` is the lower-cased code, `unauthorized: …` / `denied: …`;
 * `auth.ErrNoBasicAuthCredentials`; an unparsable 401/403 body names its status), never for
 * free prose.
 */
const AUTH_REFUSALS: readonly RegExp[] = [
  /(?:^|: )unauthorized(?::|$)/,
  /(?:^|: )denied:/,
  /\bno basic auth credentials\b/,
  /\berror parsing HTTP 40[13] response body\b/,
  /\bunexpected HTTP status: 40[13]\b/,
];

/** True when the daemon's message carries a registry's refusal of (missing or wrong) credentials. */
export function refusesAuth(message: string): boolean {
  return AUTH_REFUSALS.some((pattern) => pattern.test(message));
}

/** The `RegistryAuth` error for a target, with the daemon's words. */
export function registryAuthFailure(
  target: PullTarget,
  said: string,
  cause?: unknown,
): RegistryAuthError {
  const sent = target.sentCredentials ? 'the credentials sent' : 'a pull without credentials';
  return berthError.registryAuth({
    registry: target.registry,
    image: target.image,
    message: `pull ${target.image}: registry ${target.registry} refused ${sent}: ${said}`,
    ...(cause !== undefined && { cause }),
  });
}

function byStatus(
  status: number | undefined,
  said: string,
  target: PullTarget,
  cause: unknown,
): PullFailure {
  if (status === 401 || status === 403) return registryAuthFailure(target, said, cause);
  // 404 outranks the message: "pull access denied … may require 'docker login'" is a 404.
  if (status === 404) {
    return berthError.notFound({
      resource: 'image',
      ref: target.image,
      message: `pull ${target.image}: ${said}`,
      cause,
    });
  }
  if (refusesAuth(said)) return registryAuthFailure(target, said, cause);
  return berthError.imagePullFailed({
    image: target.image,
    message: `pull ${target.image}: ${said}`,
    cause,
  });
}

/**
 * Classifies a failed `POST /images/create`: no status means the engine was not reached
 * (`DockerApi`); otherwise by status, then by the registry error code in the daemon's message.
 */
export function classifyCreateFailure(failure: DockerApiError, target: PullTarget): PullFailure {
  if (failure.statusCode === undefined) return failure;
  return byStatus(failure.statusCode, daemonMessage(failure.cause), target, failure);
}

/** Classifies an error line from the pull's output stream. */
export function classifyStreamFailure(failure: PullStreamFailure, target: PullTarget): PullFailure {
  return byStatus(failure.code, failure.message, target, failure);
}
