import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type DockerApiError,
  type InUseError,
  type InvalidInputError,
  type NotFoundError,
} from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { checkContainerName } from '../docker/refs';
import { inspectContainer, type ContainerFacts } from './inspect';
import { inUse, runningVolumeUsers, volumeNames } from './volume-users';

export interface RemoveDataContainerOptions {
  /** Also remove its volumes and their content. Default false. */
  readonly volumes?: boolean;
  /** Remove it even while running containers use its volumes (they keep their mounts). */
  readonly force?: boolean;
}

export interface RemovedDataContainer {
  readonly id: string;
  readonly name: string;
  /** The volumes removed with it (empty unless `volumes: true`). */
  readonly removedVolumes: readonly string[];
}

export type RemoveDataContainerError =
  InvalidInputError | NotFoundError | InUseError | DockerApiError;

/** Removes a data container, refusing while a running container uses its volumes unless `force`. */
export function removeDataContainer(
  docker: DockerConnection,
  name: string,
  options: RemoveDataContainerOptions = {},
): ResultAsync<RemovedDataContainer, RemoveDataContainerError> {
  const checked = checkContainerName(name, 'name');
  if (checked.isErr()) return errAsync(checked.error);
  const client = clientOf(docker);
  return inspectContainer(docker, checked.value, { exactName: true })
    .andThen((facts): ResultAsync<ContainerFacts, RemoveDataContainerError> =>
      facts
        ? okAsync(facts)
        : errAsync(
            berthError.notFound({
              resource: 'container',
              ref: name,
              message: `no container named ${name}`,
            }),
          ),
    )
    .andThen((facts) =>
      (options.force
        ? okAsync([])
        : runningVolumeUsers(docker, volumeNames(facts), facts.id)
      ).andThen((users): ResultAsync<ContainerFacts, RemoveDataContainerError> =>
        users.length > 0 ? errAsync(inUse(facts, users, 'remove')) : okAsync(facts),
      ),
    )
    .andThen((facts) =>
      dockerCall(`remove container ${facts.name}`, () =>
        client.getContainer(facts.id).remove({ v: options.volumes === true, force: true }),
      ).map(() => ({
        id: facts.id,
        name: facts.name,
        removedVolumes: options.volumes === true ? volumeNames(facts) : [],
      })),
    );
}
