import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type ConflictError,
  type DockerApiError,
  type InUseError,
  type InvalidInputError,
  type NotFoundError,
} from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { checkContainerName } from '../docker/refs';
import { LABEL_MANAGED, LABEL_ROLE } from '../labels';
import { inspectContainer, type ContainerFacts } from './inspect';
import { inUse, runningVolumeUsers, volumeNames } from './volume-users';

export interface RemoveDataContainerOptions {
  /** Also remove its volumes and their content. Default false. */
  readonly volumes?: boolean;
  /**
   * Remove it even when it is running, is not labelled as a berth data container, or running
   * containers use its volumes (they keep their mounts).
   */
  readonly force?: boolean;
}

export interface RemovedDataContainer {
  readonly id: string;
  readonly name: string;
  /** The volumes removed with it (empty unless `volumes: true`). */
  readonly removedVolumes: readonly string[];
}

export type RemoveDataContainerError =
  InvalidInputError | NotFoundError | ConflictError | InUseError | DockerApiError;

/**
 * Why `facts` is not a container this function may remove without `force`: one line per
 * reason, each starting with what it is about (`labels:`, `state:`).
 */
function notADataContainer(facts: ContainerFacts): string[] {
  const reasons: string[] = [];
  const managed = facts.labels[LABEL_MANAGED];
  const role = facts.labels[LABEL_ROLE];
  if (managed !== 'true' || role !== 'data') {
    reasons.push(
      `labels: not a berth data container (${LABEL_MANAGED}=${managed ?? 'unset'}, ${LABEL_ROLE}=${role ?? 'unset'})`,
    );
  }
  if (facts.running) reasons.push('state: running (a data container is never started)');
  return reasons;
}

/**
 * Removes a data container. Without `force` it refuses a container that is running or not
 * labelled as berth's data container (`Conflict`, `differences` saying which), and one whose
 * volumes running containers use (`InUse`).
 */
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
    .andThen((facts): ResultAsync<ContainerFacts, RemoveDataContainerError> => {
      const reasons = options.force ? [] : notADataContainer(facts);
      if (reasons.length === 0) return okAsync(facts);
      return errAsync(
        berthError.conflict({
          name: facts.name,
          differences: reasons,
          message: `will not remove ${facts.name}: ${reasons.join('; ')}`,
        }),
      );
    })
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
