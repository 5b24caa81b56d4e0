import type { ResultAsync } from 'neverthrow';
import { berthError, type DockerApiError, type InUseError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import type { ContainerFacts } from './inspect';

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
}

/**
 * The running containers, other than `exceptId`, that mount any of these volumes — through
 * `--volumes-from`, `-v name:/path` or `--mount`: the engine lists each mount's volume name.
 */
export function runningVolumeUsers(
  docker: DockerConnection,
  volumeNames: readonly string[],
  exceptId: string,
): ResultAsync<ContainerSummary[], DockerApiError> {
  const wanted = new Set(volumeNames);
  const client = clientOf(docker);
  return dockerCall('list running containers', () =>
    client.listContainers({ filters: JSON.stringify({ status: ['running'] }) }),
  ).map((containers) =>
    containers
      .filter(
        (c) =>
          c.Id !== exceptId && c.Mounts.some((m) => m.Name !== undefined && wanted.has(m.Name)),
      )
      .map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, '') })),
  );
}

/** The names of a container's volumes. */
export function volumeNames(facts: ContainerFacts): string[] {
  return facts.mounts.flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : []));
}

/** `InUse` for doing something to `facts` while `users` run on its volumes. */
export function inUse(
  facts: ContainerFacts,
  users: readonly { id: string; name: string }[],
  doing: string,
): InUseError {
  return berthError.inUse({
    name: facts.name,
    users,
    message: `cannot ${doing} ${facts.name}: running containers use its volumes: ${users.map((u) => u.name).join(', ')}`,
  });
}
