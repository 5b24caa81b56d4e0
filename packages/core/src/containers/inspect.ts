import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DockerApiError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';

export interface MountFacts {
  readonly type: string;
  /** The volume's name, for a volume mount. */
  readonly name?: string;
  readonly destination: string;
}

/** What berth needs to know about one container, in its own words. */
export interface ContainerFacts {
  readonly id: string;
  /** Without the leading slash. */
  readonly name: string;
  /** The image as the container was created with it (`Config.Image`). */
  readonly image: string;
  readonly imageId: string;
  readonly command: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
  readonly mounts: readonly MountFacts[];
  readonly volumesFrom: readonly string[];
  readonly networkMode: string;
}

interface InspectAnswer {
  Id: string;
  Name: string;
  Image: string;
  Config?: { Image?: string; Cmd?: string[] | null; Labels?: Record<string, string> | null };
  State?: { Running?: boolean };
  Mounts?: { Type?: string; Name?: string; Destination: string }[];
  HostConfig?: { VolumesFrom?: string[] | null; NetworkMode?: string };
}

export function factsOf(answer: InspectAnswer): ContainerFacts {
  return {
    id: answer.Id,
    name: answer.Name.replace(/^\//, ''),
    image: answer.Config?.Image ?? '',
    imageId: answer.Image,
    command: answer.Config?.Cmd ?? [],
    labels: answer.Config?.Labels ?? {},
    running: answer.State?.Running === true,
    mounts: (answer.Mounts ?? []).map((m) => ({
      type: m.Type ?? 'volume',
      destination: m.Destination,
      ...(m.Name !== undefined && m.Name !== '' && { name: m.Name }),
    })),
    volumesFrom: answer.HostConfig?.VolumesFrom ?? [],
    networkMode: answer.HostConfig?.NetworkMode ?? '',
  };
}

/**
 * Inspects a container by id or name; `undefined` when the engine has none. The engine also
 * answers a name with a container whose id merely starts with it, so with `exactName` only a
 * container of exactly that name counts.
 */
export function inspectContainer(
  docker: DockerConnection,
  ref: string,
  options: { exactName?: boolean } = {},
): ResultAsync<ContainerFacts | undefined, DockerApiError> {
  const client = clientOf(docker);
  // The engine treats `/name` as `name`; sent as is, `//name` makes dockerode follow a broken redirect.
  const bare = ref.replace(/^\/+/, '');
  return dockerCall(
    `inspect container ${ref}`,
    () => client.getContainer(bare).inspect() as Promise<InspectAnswer>,
  )
    .map((answer) => factsOf(answer))
    .map((facts) => (options.exactName && facts.name !== bare ? undefined : facts))
    .orElse((error) => (error.statusCode === 404 ? okAsync(undefined) : errAsync(error)));
}
