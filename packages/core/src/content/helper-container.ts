import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { berthError, type DockerApiError, type NotFoundError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { berthLabels } from '../labels';
import { inspectContainer } from '../containers/inspect';

export interface HelperOptions {
  /** The data container whose volumes the helper mounts. */
  readonly dataContainer: string;
  /** Default: the data container's own image (it is on the engine already). Needs sh, tar, cp, mv. */
  readonly image?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A small long-lived container started with `--volumes-from` the data container, so that file
 * operations on its volumes (hard links, renames) can run through `exec`: the data container
 * itself never runs. Named `<data>-berth-helper`, reused when it is there, started when stopped.
 */
export function ensureHelperContainer(
  docker: DockerConnection,
  options: HelperOptions,
): ResultAsync<string, NotFoundError | DockerApiError> {
  const client = clientOf(docker);
  return inspectContainer(docker, options.dataContainer).andThen((data) => {
    if (!data) {
      return errAsync(
        berthError.notFound({
          resource: 'container',
          ref: options.dataContainer,
          message: `no data container ${options.dataContainer}`,
        }),
      );
    }
    const name = `${data.name}-berth-helper`;
    const start = (id: string) =>
      dockerCall(`start ${name}`, () => client.getContainer(id).start())
        .orElse((e) => (e.statusCode === 304 ? okAsync(undefined) : errAsync(e)))
        .map(() => id);
    return inspectContainer(docker, name, { exactName: true }).andThen((existing) => {
      if (existing?.running) return okAsync(existing.id);
      if (existing) return start(existing.id);
      return dockerCall(`create ${name}`, () =>
        client.createContainer({
          name,
          Image: options.image ?? data.image,
          Entrypoint: ['sh', '-c'],
          Cmd: ['trap "exit 0" TERM INT; while sleep 3600; do :; done'],
          Labels: berthLabels('helper', { ...options.labels, 'io.berth.helper-for': data.name }),
          HostConfig: { VolumesFrom: [data.id], NetworkMode: 'none' },
        }),
      )
        .map((c) => c.id)
        .orElse((e) =>
          // Another publisher made it meanwhile: use theirs.
          e.statusCode === 409
            ? inspectContainer(docker, name, { exactName: true }).andThen((c) =>
                c ? okAsync(c.id) : errAsync(e),
              )
            : errAsync(e),
        )
        .andThen(start);
    });
  });
}
