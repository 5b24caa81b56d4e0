import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type AmbiguousError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
  type TimeoutError,
} from '../errors';
import { statusOf } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import {
  boundedDockerCall,
  indexContainers,
  listContainerIdentities,
  lookupContainer,
  lookupKey,
  notFound,
  type ContainerIdentity,
  type ContainerIndex,
  type RequestBounds,
} from './container-list';

/** How to look a container up. */
export interface ResolveIdOptions {
  readonly signal?: AbortSignal;
  /** A deadline for each engine request. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

/** How to look a container up, and how to write its name. */
export interface ResolveNameOptions extends ResolveIdOptions {
  /** Answer `/web`, as `docker inspect --format '{{.Name}}'` prints it, instead of `web`. */
  readonly leadingSlash?: boolean;
}

/** Why one reference has no answer: malformed, matched by nothing, or an id prefix of several. */
export type ResolveRefError = InvalidInputError | NotFoundError | AmbiguousError;

/** Everything `resolveContainerName` and `resolveContainerId` can fail with. */
export type ResolveNameError = ResolveRefError | DockerApiError | TimeoutError | AbortedError;

/** Why `resolveContainerNames` produced no answers at all (a bad reference fails only its own). */
export type ResolveNamesError = InvalidInputError | DockerApiError | TimeoutError | AbortedError;

function checkOptions(options: ResolveIdOptions): Result<RequestBounds, InvalidInputError> {
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    return err(
      berthError.invalidInput({
        field: 'timeoutMs',
        message: `timeoutMs must be a positive number, got ${String(timeoutMs)}`,
      }),
    );
  }
  return ok({ signal, timeoutMs });
}

function written(name: string, options: ResolveNameOptions): string {
  return options.leadingSlash ? `/${name}` : name;
}

/** Whether the daemon itself answered (with its `{"message": …}` body), not a proxy in between. */
function fromDaemon(error: DockerApiError): boolean {
  const body = (error.cause as { json?: { message?: unknown } | null } | null)?.json;
  return typeof body?.message === 'string';
}

/**
 * Engine 20.10 answers an ambiguous id prefix with a 500 (newer engines with a 400) whose only
 * distinguishing mark is its text. Rather than read the text, one listing says whether the
 * prefix is ambiguous, and which containers share it; anything else keeps the engine's error.
 */
function explainFailure(
  docker: DockerConnection,
  key: string,
  ref: string,
  error: DockerApiError,
  bounds: RequestBounds,
): ResultAsync<never, ResolveNameError> {
  const status = statusOf(error.cause);
  if (!fromDaemon(error)) return errAsync(error);
  if (status === 404) return errAsync(notFound(ref));
  if (status !== 400 && status !== 500) return errAsync(error);
  return listContainerIdentities(docker, bounds).andThen((containers) => {
    const found = lookupContainer(indexContainers(containers), key, ref);
    return found.isErr() && found.error.kind === 'Ambiguous'
      ? errAsync(found.error)
      : errAsync(error);
  });
}

function identify(
  docker: DockerConnection,
  ref: string,
  options: ResolveIdOptions,
): ResultAsync<ContainerIdentity, ResolveNameError> {
  const checked = checkOptions(options).andThen((bounds) =>
    lookupKey(ref).map((key) => ({ key, bounds })),
  );
  if (checked.isErr()) return errAsync(checked.error);
  const { key, bounds } = checked.value;
  const client = clientOf(docker);
  return boundedDockerCall(`inspect container ${key}`, bounds, (abortSignal) =>
    client.getContainer(key).inspect({ abortSignal }),
  )
    .map((answer) => ({ id: answer.Id, name: answer.Name.replace(/^\//, '') }))
    .orElse((error) =>
      error.kind === 'DockerApi'
        ? explainFailure(docker, key, ref, error, bounds)
        : errAsync(error),
    );
}

/**
 * The name of the container `ref` points at, as `docker inspect --format '{{.Name}}' <ref>`
 * finds it: `ref` is a full id, a name (with or without its leading slash) or a unique id
 * prefix, tried in the engine's own order — exact id, then exact name, then id prefix. So a
 * container named `abc123` wins over one whose id starts with `abc123`, and a full id wins over
 * a container named like it.
 *
 * One inspect request. The answer is the bare name (`web`) unless `leadingSlash` asks for
 * Docker's raw `/web`. Fails with `NotFound` (resource `container`), `Ambiguous` (with the
 * containers the prefix matches), `InvalidInput` for an empty or malformed ref, `DockerApi`,
 * `Timeout` or `Aborted`.
 *
 * @example
 * const name = await resolveContainerName(docker, '3f2a9c1b07d4');
 * if (name.isOk()) console.log(name.value); // "www-content"
 */
export function resolveContainerName(
  docker: DockerConnection,
  ref: string,
  options: ResolveNameOptions = {},
): ResultAsync<string, ResolveNameError> {
  return identify(docker, ref, options).map((container) => written(container.name, options));
}

/**
 * The full id of the container `ref` names: the inverse of {@link resolveContainerName}, with the
 * same lookup (name, with or without its slash, full id or unique id prefix) and the same errors.
 */
export function resolveContainerId(
  docker: DockerConnection,
  ref: string,
  options: ResolveIdOptions = {},
): ResultAsync<string, ResolveNameError> {
  return identify(docker, ref, options).map((container) => container.id);
}

/** The answer for one reference of {@link resolveContainerNames}: the container, or why not. */
export type NameAnswer =
  | {
      readonly ref: string;
      /** The full id of the container the reference points at. */
      readonly id: string;
      /** Its name, written as `leadingSlash` asks. */
      readonly name: string;
      readonly error?: undefined;
    }
  | {
      readonly ref: string;
      readonly error: ResolveRefError;
      readonly id?: undefined;
      readonly name?: undefined;
    };

/**
 * What {@link resolveContainerNames} found: a plain object, not a list of Results, so that
 * `for (const a of await resolveContainerNames(…))` (which iterates the Result itself, and finds
 * nothing) cannot be written with `a.name` or `a.error` by mistake: it does not compile.
 */
export interface ResolvedNames {
  /** One answer per reference, in input order (duplicates answered twice). */
  readonly answers: readonly NameAnswer[];
}

/**
 * Resolves many references with one listing request: one answer per reference, in input order,
 * each exactly what {@link resolveContainerName} would answer for it against the same engine
 * state (same lookup order, same `NotFound`, `Ambiguous` and `InvalidInput`). A bad reference
 * fails only its own answer (`{ ref, error }`); the whole call fails only when the engine does
 * (or `refs` is not an array). No request is made when no reference is valid.
 *
 * @example
 * const found = await resolveContainerNames(docker, ids);
 * if (found.isOk()) {
 *   for (const answer of found.value.answers) {
 *     console.log(answer.ref, answer.error ? answer.error.kind : answer.name);
 *   }
 * }
 */
export function resolveContainerNames(
  docker: DockerConnection,
  refs: readonly string[],
  options: ResolveNameOptions = {},
): ResultAsync<ResolvedNames, ResolveNamesError> {
  // For callers without types; narrowing `refs` itself with Array.isArray would widen it to any[].
  const given: unknown = refs;
  if (!Array.isArray(given)) {
    return errAsync(
      berthError.invalidInput({
        field: 'refs',
        message: 'refs must be an array of container references',
      }),
    );
  }
  const bounds = checkOptions(options);
  if (bounds.isErr()) return errAsync(bounds.error);
  const keyed = refs.map((ref) => ({ ref, key: lookupKey(ref) }));
  const answer = (index: ContainerIndex): ResolvedNames => ({
    answers: keyed.map(({ ref, key }): NameAnswer => {
      const found = key.andThen((k): Result<ContainerIdentity, ResolveRefError> =>
        lookupContainer(index, k, ref),
      );
      return found.isOk()
        ? { ref, id: found.value.id, name: written(found.value.name, options) }
        : { ref, error: found.error };
    }),
  });
  if (!keyed.some(({ key }) => key.isOk())) return okAsync(answer(indexContainers([])));
  return listContainerIdentities(docker, bounds.value).map((containers) =>
    answer(indexContainers(containers)),
  );
}
