import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type AmbiguousError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
  type TimeoutError,
} from '../errors';
import { dockerCall, toDockerApiError } from '../docker/api';
import { clientOf, lightGet, type DockerConnection } from '../docker/connection';
import { parseContainerRef } from '../docker/refs';
import { bounded } from '../util/bounded';

/** A container's full id and its own name, without the leading slash. */
export interface ContainerIdentity {
  readonly id: string;
  readonly name: string;
}

/** The caller's signal and a deadline for one engine request. */
export interface RequestBounds {
  readonly signal?: AbortSignal | undefined;
  /** Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly timeoutMs?: number | undefined;
}

/** A listing or an inspect answers in milliseconds; this only catches an engine that hangs. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How one bounded engine request can fail. */
export type EngineRequestError = DockerApiError | TimeoutError | AbortedError;

/** One engine request through `dockerCall`, cut short by the caller's signal or the deadline. */
export function boundedDockerCall<T>(
  operation: string,
  bounds: RequestBounds,
  call: (signal: AbortSignal) => Promise<T>,
): ResultAsync<T, EngineRequestError> {
  return bounded(
    { operation, timeoutMs: bounds.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, signal: bounds.signal },
    (signal) => Promise.resolve(dockerCall(operation, () => call(signal))),
    (cause) => toDockerApiError(operation, cause),
  ).andThen((answer) => answer);
}

/**
 * The string the engine looks a reference up by: the reference without its leading slash.
 * The engine's router cleans `/containers//web/json` to `/containers/web/json`, so
 * `docker inspect /web` looks `web` up exactly as `docker inspect web` does (checked on 20.10);
 * the slash never narrows the lookup to names. It must not reach the request either: dockerode
 * follows the engine's 301 for `//web` to a malformed URL and throws outside any promise.
 */
export function lookupKey(ref: unknown): Result<string, InvalidInputError> {
  return parseContainerRef(ref, 'ref').map(() => (ref as string).replace(/^\//, ''));
}

/** The container's own name from a listing's `Names`, which also holds link aliases (`/web/db`). */
function ownName(names: readonly string[], id: string): string {
  const own = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? id;
  return own.replace(/^\//, '');
}

/** The fields of a listed container that berth reads. */
interface ListedContainer {
  readonly Id: string;
  readonly Names: string[];
}

/** Every container on the engine, stopped and never-started ones included, in one request. */
export function listContainerIdentities(
  docker: DockerConnection,
  bounds: RequestBounds = {},
): ResultAsync<ContainerIdentity[], EngineRequestError> {
  // The listing is what `berth name` waits for from a cold start: over node:http where it can.
  const get = lightGet(docker);
  return boundedDockerCall('list containers', bounds, (abortSignal) =>
    get
      ? (get('/containers/json?all=1', abortSignal) as Promise<ListedContainer[]>)
      : clientOf(docker).listContainers({ all: true, abortSignal }),
  ).map((containers) => containers.map((c) => ({ id: c.Id, name: ownName(c.Names, c.Id) })));
}

/** One listing, indexed for the engine's three lookups. */
export interface ContainerIndex {
  readonly byId: ReadonlyMap<string, ContainerIdentity>;
  readonly byName: ReadonlyMap<string, ContainerIdentity>;
  /** Sorted by id, so the containers sharing an id prefix sit next to each other. */
  readonly sortedById: readonly ContainerIdentity[];
}

/** Indexes a listing by full id, by name, and by id order for prefix lookups. */
export function indexContainers(containers: readonly ContainerIdentity[]): ContainerIndex {
  return {
    byId: new Map(containers.map((c) => [c.id, c])),
    byName: new Map(containers.map((c) => [c.name, c])),
    sortedById: [...containers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

function withIdPrefix(index: ContainerIndex, prefix: string): ContainerIdentity[] {
  const sorted = index.sortedById;
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle]?.id ?? '') < prefix) low = middle + 1;
    else high = middle;
  }
  const found: ContainerIdentity[] = [];
  for (let i = low; i < sorted.length && sorted[i]?.id.startsWith(prefix); i++) {
    found.push(sorted[i] as ContainerIdentity);
  }
  return found;
}

/** The `NotFound` answer for a container reference, the same from an inspect and a listing. */
export function notFound(ref: string): NotFoundError {
  return berthError.notFound({ resource: 'container', ref, message: `no such container: ${ref}` });
}

/**
 * Looks `key` up in the order the engine does (moby `daemon.GetContainer`): an exact full id,
 * then an exact name, then a unique id prefix. `ref` is what the caller wrote, for the error.
 */
export function lookupContainer(
  index: ContainerIndex,
  key: string,
  ref: string,
): Result<ContainerIdentity, NotFoundError | AmbiguousError> {
  const exact = index.byId.get(key) ?? index.byName.get(key);
  if (exact) return ok(exact);
  const matches = withIdPrefix(index, key);
  const [only, ...others] = matches;
  if (!only) return err(notFound(ref));
  if (others.length === 0) return ok(only);
  return err(
    berthError.ambiguous({
      ref,
      matches,
      message: `"${ref}" starts ${matches.length} container ids (${matches
        .map((m) => `${m.id.slice(0, 12)} ${m.name}`)
        .join(', ')}): give more of the id, or a name`,
    }),
  );
}
