import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type CredentialHelperError,
  type DockerApiError,
  type ImagePullFailedError,
  type InvalidInputError,
  type NotFoundError,
  type RegistryAuthError,
  type TimeoutError,
} from '../errors';
import { dockerCall } from './api';
import { clientOf, type DockerConnection } from './connection';
import { lookupRegistryCredentials, type RegistryCredentials } from './credentials';
import { engineAuthConfig, type EngineAuthConfig } from './pull-auth';
import { pullDeadline } from './pull-deadline';
import { diagnoseAuthRefusal } from './pull-diagnose';
import {
  classifyCreateFailure,
  classifyStreamFailure,
  type PullFailure,
  type PullTarget,
} from './pull-errors';
import { followPullStream, type PullProgressEvent } from './pull-stream';
import { parseImageRef, type ImageRef } from './refs';

export type { PullProgressEvent } from './pull-stream';

/** How to pull: progress, cancellation, and where the registry credentials come from. */
export interface PullImageOptions {
  /**
   * Called for every progress line the engine sends, in order. If it throws, the pull is
   * stopped and the returned promise rejects with what it threw.
   */
  readonly onProgress?: (event: PullProgressEvent) => void;
  /** Stops the pull (the connection is dropped and the engine cancels it): `Aborted`. */
  readonly signal?: AbortSignal;
  /** A deadline for the whole pull, credential lookup included: `Timeout`. Default none. */
  readonly timeoutMs?: number;
  /**
   * The registry credentials to send, or `'none'` to send none. Default: what the Docker CLI
   * would use, from `config.json` (see `lookupRegistryCredentials`).
   */
  readonly credentials?: RegistryCredentials | 'none';
  /** Where `config.json` lives. Default `$DOCKER_CONFIG`, else `$HOME/.docker`. */
  readonly dockerConfigDir?: string;
  /**
   * The environment to read (`DOCKER_CONFIG`, `HOME`, and `PATH` for credential helpers).
   * Default `process.env`, read once, when `pullImage` is called.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An image the engine has after a finished pull. */
export interface PulledImage {
  /** The reference pulled, normalized (`repo:tag`, `repo@digest`; the registry as written). */
  readonly ref: string;
  /** The engine's image id, `sha256:…`. */
  readonly id: string;
  /** The manifest digest the registry served, when the engine recorded one. */
  readonly digest?: string;
}

/**
 * What `pullImage` can fail with. A tag or repository the registry does not have is
 * `NotFound` (the engine answers 404); a registry that refuses the credentials, or wants some
 * and got none, is `RegistryAuth`; any other failure the engine reports, at the start or in the
 * middle of the pull, is `ImagePullFailed` with the engine's message.
 */
export type PullImageError =
  | InvalidInputError
  | NotFoundError
  | RegistryAuthError
  | ImagePullFailedError
  | CredentialHelperError
  | DockerApiError
  | AbortedError
  | TimeoutError;

const OPERATION = 'image.pull';

/** `fromImage` and `tag` for the create call: the repository as written, and the tag or digest. */
function createParams(image: ImageRef): { fromImage: string; tag: string; inspect: string } {
  const suffix = image.digest ? image.normalized.indexOf('@') : image.normalized.lastIndexOf(':');
  let fromImage = image.normalized.slice(0, suffix);
  if (image.digest && image.tag !== undefined) {
    fromImage = fromImage.slice(0, fromImage.length - image.tag.length - 1);
  }
  const tag = image.digest ?? image.tag ?? 'latest';
  const inspect = image.digest ? `${fromImage}@${image.digest}` : image.normalized;
  return { fromImage, tag, inspect };
}

/** How the engine writes the repository in `RepoDigests`: Docker Hub's without `docker.io/library/`. */
function familiarName(image: ImageRef): string {
  if (image.registry !== 'docker.io') return `${image.registry}/${image.repository}`;
  return image.repository.replace(/^library\//, '');
}

function checkCredentials(
  credentials: unknown,
): Result<RegistryCredentials | 'none' | undefined, InvalidInputError> {
  if (credentials === undefined || credentials === 'none') return ok(credentials);
  const invalid = (why: string) =>
    err(berthError.invalidInput({ field: 'credentials', message: `credentials ${why}` }));
  if (typeof credentials !== 'object' || credentials === null) {
    return invalid(`must be an object or 'none'`);
  }
  const { username, password, identityToken } = credentials as Record<string, unknown>;
  for (const [name, value] of Object.entries({ username, password, identityToken })) {
    if (value !== undefined && typeof value !== 'string') {
      return invalid(`.${name} must be a string`);
    }
  }
  if (identityToken === undefined && (username === undefined || password === undefined)) {
    return invalid('need username and password, or identityToken');
  }
  return ok(credentials);
}

function startPull(
  client: Dockerode,
  params: { fromImage: string; tag: string },
  auth: EngineAuthConfig | undefined,
  target: PullTarget,
  signal: AbortSignal,
): ResultAsync<Readable, PullFailure> {
  // dockerode sends `authconfig` as X-Registry-Auth and hands `abortSignal` to the request;
  // the stream it resolves with is the HTTP response, a Readable.
  return dockerCall(
    OPERATION,
    (): Promise<Readable> =>
      client.createImage(auth, {
        fromImage: params.fromImage,
        tag: params.tag,
        abortSignal: signal,
      }) as Promise<Readable>,
  )
    .mapErr((failure) => classifyCreateFailure(failure, target))
    .orElse((failure) =>
      // The daemon's last word may hide a refusal behind an http fallback: ask it once more.
      failure.kind === 'ImagePullFailed'
        ? diagnoseAuthRefusal(client, target, auth, signal).andThen((refusal) =>
            errAsync(refusal ?? failure),
          )
        : errAsync(failure),
    );
}

function followPull(
  stream: Readable,
  target: PullTarget,
  signal: AbortSignal,
  onProgress: ((event: PullProgressEvent) => void) | undefined,
): ResultAsync<void, PullFailure | AbortedError> {
  // Rejects only when onProgress throws: that is the caller's bug, passed back unchanged.
  return ResultAsync.fromSafePromise(followPullStream(stream, signal, onProgress)).andThen(
    (outcome) => {
      switch (outcome.kind) {
        case 'finished':
          return okAsync(undefined);
        case 'failed':
          return errAsync(classifyStreamFailure(outcome.failure, target));
        case 'broken':
          return errAsync(
            berthError.dockerApi({
              operation: OPERATION,
              message: `pull ${target.image}: ${outcome.message}`,
              ...(outcome.cause !== undefined && { cause: outcome.cause }),
            }),
          );
        case 'stopped':
          return errAsync(
            berthError.aborted({
              operation: OPERATION,
              message: `pull ${target.image} was aborted`,
            }),
          );
        default: {
          const never: never = outcome;
          return never;
        }
      }
    },
  );
}

function inspectPulled(
  client: Dockerode,
  image: ImageRef,
  inspectRef: string,
): ResultAsync<PulledImage, DockerApiError | ImagePullFailedError> {
  return dockerCall('image.inspect', () => client.getImage(inspectRef).inspect())
    .mapErr((failure) =>
      failure.statusCode === 404
        ? berthError.imagePullFailed({
            image: image.normalized,
            message: `pull ${image.normalized}: the engine reported the pull finished, but has no such image`,
            cause: failure,
          })
        : failure,
    )
    .map((info) => {
      const name = familiarName(image);
      const recorded = (info.RepoDigests ?? [])
        .map((entry) => entry.split('@'))
        .find(([repo]) => repo === name)?.[1];
      const digest = image.digest ?? recorded;
      return { ref: image.normalized, id: info.Id, ...(digest !== undefined && { digest }) };
    });
}

/**
 * Pulls an image and resolves once the engine has finished it, with the image's id and digest.
 *
 * The engine's JSON-lines output is read here, line by line: each progress line goes to
 * `onProgress` as a typed event, and any line with an `error`/`errorDetail` fails the pull
 * (dockerode's `followProgress` would call that a success). Credentials go to the engine as
 * `X-Registry-Auth`: the ones given, none with `'none'`, or by default the Docker CLI's own,
 * from `config.json` and its credential helpers.
 */
export function pullImage(
  docker: DockerConnection,
  ref: string,
  options: PullImageOptions = {},
): ResultAsync<PulledImage, PullImageError> {
  const env = { ...(options.env ?? process.env) };
  const parsed = parseImageRef(ref, 'ref');
  if (parsed.isErr()) return errAsync(parsed.error);
  const image = parsed.value;
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    return errAsync(
      berthError.invalidInput({
        field: 'timeoutMs',
        message: `timeoutMs must be a positive number, got ${timeoutMs}`,
      }),
    );
  }
  const checked = checkCredentials(options.credentials);
  if (checked.isErr()) return errAsync(checked.error);
  const given = checked.value;
  const client = clientOf(docker);
  const deadline = pullDeadline(options.signal, timeoutMs);
  const subject = `pull ${image.normalized}`;
  if (deadline.signal.aborted) {
    deadline.dispose();
    return errAsync(deadline.reason(OPERATION, subject));
  }
  const params = createParams(image);

  const credentials: ResultAsync<RegistryCredentials | undefined, PullImageError> =
    given === 'none'
      ? okAsync(undefined)
      : given !== undefined
        ? okAsync(given)
        : lookupRegistryCredentials(image.registry, {
            env,
            signal: deadline.signal,
            ...(options.dockerConfigDir !== undefined && {
              dockerConfigDir: options.dockerConfigDir,
            }),
          });

  const pulled = credentials
    .andThen((found) => {
      const auth = found && engineAuthConfig(found, image.registry);
      const target: PullTarget = {
        image: image.normalized,
        registry: image.registry,
        sentCredentials: auth !== undefined,
      };
      return startPull(client, params, auth, target, deadline.signal).andThen((stream) =>
        followPull(stream, target, deadline.signal, options.onProgress),
      );
    })
    .andThen(() => inspectPulled(client, image, params.inspect))
    .mapErr((error): PullImageError =>
      deadline.signal.aborted ? deadline.reason(OPERATION, subject) : error,
    );

  return new ResultAsync(Promise.resolve(pulled).finally(() => deadline.dispose()));
}
