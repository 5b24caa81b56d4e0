import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type ConflictError,
  type DockerApiError,
  type InUseError,
  type InvalidInputError,
  type NotFoundError,
} from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import type { PullProgressEvent } from '../docker/pull';
import { checkContainerName, checkVolumePaths, parseImageRef } from '../docker/refs';
import { berthLabels, LABEL_ROLE } from '../labels';
import { ensureImage, type EnsureImageError, type PullPolicy } from './ensure-image';
import { inspectContainer, type ContainerFacts } from './inspect';
import { checkCommand, checkLabels, checkPullPolicy } from './spec-checks';
import { inUse, runningVolumeUsers, volumeNames } from './volume-users';

export interface DataContainerSpec {
  /** The container's name, e.g. `www-content`. */
  readonly name: string;
  /** The image the container is created from; it never runs, so any image with the command works. */
  readonly image: string;
  /** Absolute paths that become the container's volumes, e.g. `['/etc/nginx', '/www']`. */
  readonly volumes: readonly string[];
  /** Never run; default `['/bin/true']`, like the seed's `docker create … /bin/true`. */
  readonly command?: readonly string[];
  /** Extra labels; berth's own `io.berth.*` labels are always added. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  readonly onProgress?: (event: PullProgressEvent) => void;
  readonly signal?: AbortSignal;
  /**
   * Recreate the container when it exists with another spec, but only when no running container
   * uses its volumes (else `InUse`). Its volumes, and their content, go with it.
   */
  readonly replace?: boolean;
}

export interface DataContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly volumes: readonly { readonly path: string; readonly volumeName: string }[];
  /** false when a container with this name and spec was already there. */
  readonly created: boolean;
}

export type CreateDataContainerError =
  | InvalidInputError
  | ConflictError
  | InUseError
  | NotFoundError
  | EnsureImageError
  | DockerApiError
  | AbortedError;

interface Wanted {
  readonly name: string;
  readonly image: string;
  readonly normalizedImage: string;
  readonly volumes: readonly string[];
  readonly command: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

function checkSpec(spec: DataContainerSpec): Wanted | InvalidInputError {
  if (typeof spec !== 'object' || spec === null) {
    return berthError.invalidInput({ field: 'spec', message: 'spec must be an object' });
  }
  const name = checkContainerName(spec.name, 'spec.name');
  if (name.isErr()) return name.error;
  const image = parseImageRef(spec.image, 'spec.image');
  if (image.isErr()) return image.error;
  const volumes = checkVolumePaths(spec.volumes, 'spec.volumes');
  if (volumes.isErr()) return volumes.error;
  if (volumes.value.length === 0) {
    return berthError.invalidInput({
      field: 'spec.volumes',
      message: 'a data container needs at least one volume',
    });
  }
  const command = checkCommand(spec.command ?? ['/bin/true'], 'spec.command');
  if (command.isErr()) return command.error;
  const labels = checkLabels(spec.labels ?? {}, 'spec.labels');
  if (labels.isErr()) return labels.error;
  const pull = checkPullPolicy(spec.pull ?? 'missing', 'spec.pull');
  if (pull.isErr()) return pull.error;
  return {
    name: name.value,
    image: spec.image,
    normalizedImage: image.value.normalized,
    volumes: volumes.value,
    command: command.value,
    labels: labels.value,
  };
}

/** Every way the existing container differs from the wanted one, one line each. */
function differences(existing: ContainerFacts, wanted: Wanted): string[] {
  const out: string[] = [];
  const existingImage = parseImageRef(existing.image)
    .map((r) => r.normalized)
    .unwrapOr(existing.image);
  if (existingImage !== wanted.normalizedImage) {
    out.push(`image: existing ${existing.image}, wanted ${wanted.image}`);
  }
  const have = existing.mounts
    .filter((m) => m.type === 'volume')
    .map((m) => m.destination)
    .sort();
  const want = [...wanted.volumes].sort();
  if (have.join('\n') !== want.join('\n')) {
    out.push(`volumes: existing [${have.join(', ')}], wanted [${want.join(', ')}]`);
  }
  if (existing.command.join('\0') !== wanted.command.join('\0')) {
    out.push(
      `command: existing ${JSON.stringify(existing.command)}, wanted ${JSON.stringify(wanted.command)}`,
    );
  }
  for (const [key, value] of Object.entries(wanted.labels)) {
    if (existing.labels[key] !== value) {
      out.push(
        `label ${key}: existing ${JSON.stringify(existing.labels[key] ?? null)}, wanted ${JSON.stringify(value)}`,
      );
    }
  }
  if (existing.labels[LABEL_ROLE] !== 'data') {
    out.push(
      `role: existing ${JSON.stringify(existing.labels[LABEL_ROLE] ?? null)}, wanted "data" (not made by createDataContainer)`,
    );
  }
  return out;
}

function describe(facts: ContainerFacts, created: boolean): DataContainer {
  return {
    id: facts.id,
    name: facts.name,
    image: facts.image,
    volumes: facts.mounts
      .filter((m) => m.type === 'volume' && m.name !== undefined)
      .map((m) => ({ path: m.destination, volumeName: m.name ?? '' }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    created,
  };
}

/**
 * `docker create -v /etc/nginx -v /www --name www-content <image> /bin/true`, made safe to call
 * again: the same name and spec gives back the existing container (`created: false`); another
 * spec is a `Conflict` naming each difference; two callers at the same moment get one container.
 * The container is never started: other containers mount its volumes with `--volumes-from`.
 */
export function createDataContainer(
  docker: DockerConnection,
  spec: DataContainerSpec,
): ResultAsync<DataContainer, CreateDataContainerError> {
  const checked = checkSpec(spec);
  if ('kind' in checked) return errAsync(checked);
  const wanted = checked;
  const client = clientOf(docker);

  const adopt = (
    existing: ContainerFacts,
  ): ResultAsync<DataContainer, CreateDataContainerError> => {
    const diff = differences(existing, wanted);
    if (diff.length === 0) return okAsync(describe(existing, false));
    if (!spec.replace) {
      return errAsync(
        berthError.conflict({
          name: wanted.name,
          differences: diff,
          message: `a container named ${wanted.name} exists with another spec (pass replace: true to recreate it):\n  ${diff.join('\n  ')}`,
        }),
      );
    }
    return runningVolumeUsers(docker, volumeNames(existing), existing.id)
      .andThen((users) =>
        users.length > 0 ? errAsync(inUse(existing, users, 'replace')) : okAsync(undefined),
      )
      .andThen(() =>
        dockerCall(`remove container ${existing.name}`, () =>
          client.getContainer(existing.id).remove({ v: true, force: true }),
        ),
      )
      .andThen(() => create());
  };

  const create = (): ResultAsync<DataContainer, CreateDataContainerError> =>
    ensureImage(docker, wanted.image, {
      pull: spec.pull ?? 'missing',
      onProgress: spec.onProgress,
      signal: spec.signal,
    })
      .andThen(() =>
        dockerCall(`create container ${wanted.name}`, () =>
          client.createContainer({
            name: wanted.name,
            Image: wanted.image,
            Cmd: [...wanted.command],
            Volumes: Object.fromEntries(wanted.volumes.map((v) => [v, {}])),
            Labels: berthLabels('data', wanted.labels),
            HostConfig: { NetworkMode: 'none' },
          }),
        )
          .map((container) => ({ id: container.id, raced: false }))
          .orElse(
            (error): ResultAsync<{ id: string; raced: boolean }, CreateDataContainerError> => {
              // Someone else created it between our look and our create: adopt theirs.
              if (error.statusCode === 409) return okAsync({ id: wanted.name, raced: true });
              if (error.statusCode === 404) {
                return errAsync(
                  berthError.notFound({
                    resource: 'image',
                    ref: wanted.image,
                    message: `image ${wanted.image} not found`,
                  }),
                );
              }
              return errAsync(error);
            },
          ),
      )
      .andThen(({ id, raced }) =>
        (raced ? inspectRaced(docker, id) : inspectContainer(docker, id)).andThen(
          (facts): ResultAsync<DataContainer, CreateDataContainerError> => {
            if (!facts)
              return errAsync(
                berthError.notFound({
                  resource: 'container',
                  ref: id,
                  message: `container ${id} vanished right after it was created`,
                }),
              );
            return raced ? adoptRaced(facts) : okAsync(describe(facts, true));
          },
        ),
      );

  // A racing creator's container is judged like any existing one, but never replaced.
  const adoptRaced = (
    facts: ContainerFacts,
  ): ResultAsync<DataContainer, CreateDataContainerError> => {
    const diff = differences(facts, wanted);
    return diff.length === 0
      ? okAsync(describe(facts, false))
      : errAsync(
          berthError.conflict({
            name: wanted.name,
            differences: diff,
            message: `${wanted.name} was created concurrently with another spec:\n  ${diff.join('\n  ')}`,
          }),
        );
  };

  if (spec.signal?.aborted) {
    return errAsync(
      berthError.aborted({
        operation: `create data container ${wanted.name}`,
        message: 'aborted before it started',
      }),
    );
  }
  return inspectContainer(docker, wanted.name, { exactName: true }).andThen((existing) =>
    existing ? adopt(existing) : create(),
  );
}

/**
 * The engine reserves a name before the container behind it exists: a creator that lost the race
 * (409) may look before the winner's container can be inspected. Look again, for a bounded time.
 */
function inspectRaced(
  docker: DockerConnection,
  name: string,
): ResultAsync<ContainerFacts | undefined, DockerApiError> {
  const deadline = Date.now() + 10_000;
  const look = (): ResultAsync<ContainerFacts | undefined, DockerApiError> =>
    inspectContainer(docker, name, { exactName: true }).andThen((facts) =>
      facts || Date.now() > deadline
        ? okAsync(facts)
        : ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, 25))).andThen(look),
    );
  return look();
}
