/**
 * Whether a container target's path survives: files written anywhere but a volume or bind mount
 * of the data container live only in the helper's own layer and vanish with it, while the
 * publish reports success. So the path must be one of the data container's mounts, or inside one.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { posix } from 'node:path';
import {
  berthError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
} from '../errors';
import type { DockerConnection } from '../docker/connection';
import { inspectContainer, type MountFacts } from '../containers/inspect';

export type TargetMountError = InvalidInputError | NotFoundError | DockerApiError;

/** Mount types whose content outlives the container that writes it and is shared by `--volumes-from`. */
const LASTING = new Set(['volume', 'bind']);

const normal = (path: string) => posix.normalize(path).replace(/(.)\/+$/, '$1');

/** The volume or bind mount that holds `path`, the deepest when they nest; pure. */
export function mountHolding(mounts: readonly MountFacts[], path: string): MountFacts | undefined {
  const wanted = normal(path);
  return mounts
    .filter((m) => LASTING.has(m.type))
    .filter((m) => {
      const at = normal(m.destination);
      return wanted === at || wanted.startsWith(at === '/' ? '/' : `${at}/`);
    })
    .sort((a, b) => normal(b.destination).length - normal(a.destination).length)[0];
}

/** `/www (volume 3f2a…), /etc/nginx (bind)`, for messages. */
export function describeMounts(mounts: readonly MountFacts[]): string {
  if (mounts.length === 0) return 'it has no volumes or mounts';
  const one = (m: MountFacts) =>
    `${m.destination} (${m.type}${m.name ? ` ${m.name.slice(0, 12)}` : ''})`;
  return `its volumes and mounts: ${mounts.map(one).join(', ')}`;
}

/**
 * Checks that `path` is (inside) a volume or bind mount of `container`; `InvalidInput` on
 * `path` listing the container's mounts when it is not, `NotFound` when there is no container.
 */
export function checkTargetMount(
  docker: DockerConnection,
  container: string,
  path: string,
): ResultAsync<void, TargetMountError> {
  return inspectContainer(docker, container).andThen((facts) => {
    if (!facts) {
      return errAsync(
        berthError.notFound({
          resource: 'container',
          ref: container,
          message: `no data container ${container}`,
        }),
      );
    }
    if (mountHolding(facts.mounts, path)) return okAsync(undefined);
    return errAsync(
      berthError.invalidInput({
        field: 'path',
        message:
          `container ${facts.name}:${path} is not on a volume or bind mount of the container, ` +
          `so what is published there would be lost; ${describeMounts(facts.mounts)}`,
      }),
    );
  });
}

/** {@link checkTargetMount} until it first succeeds; after that, nothing to ask the engine. */
export function targetMountCheck(
  docker: DockerConnection,
  container: string,
  path: string,
): () => ResultAsync<void, TargetMountError> {
  let checked = false;
  return () =>
    checked
      ? okAsync(undefined)
      : checkTargetMount(docker, container, path).map(() => {
          checked = true;
        });
}
