import { errAsync, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
} from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { tarBuffer, type TarEntry } from '../util/tar';

/**
 * Writes small files into a container — a created data container too, whose volumes the engine
 * mounts for the copy — over the Docker API alone. Keys are absolute paths; missing parent
 * directories are created. For whole trees use the content pipeline, which stages atomically.
 */
export function putFiles(
  docker: DockerConnection,
  container: string,
  files: Readonly<Record<string, string | Buffer>>,
  options: { readonly mode?: number } = {},
): ResultAsync<void, InvalidInputError | NotFoundError | DockerApiError> {
  const entries: TarEntry[] = [];
  for (const [path, content] of Object.entries(files)) {
    const segments = path.split('/').filter(Boolean);
    if (
      !path.startsWith('/') ||
      segments.length === 0 ||
      segments.some((s) => s === '..' || s === '.')
    ) {
      return errAsync(
        berthError.invalidInput({
          field: `files["${path}"]`,
          message: `"${path}" must be an absolute file path without . or ..`,
        }),
      );
    }
    entries.push({
      path: segments.join('/'),
      type: 'file',
      content,
      ...(options.mode !== undefined && { mode: options.mode }),
    });
  }
  if (entries.length === 0)
    return errAsync(berthError.invalidInput({ field: 'files', message: 'no files given' }));
  const client = clientOf(docker);
  return dockerCall(`put files into ${container}`, () =>
    client.getContainer(container).putArchive(tarBuffer(entries), { path: '/' }),
  )
    .map(() => undefined)
    .orElse((error) =>
      errAsync(
        error.statusCode === 404
          ? berthError.notFound({
              resource: 'container',
              ref: container,
              message: `no container ${container}`,
            })
          : error,
      ),
    );
}
