import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { berthError, type DockerApiError, type NotFoundError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { pullImage, type PullImageError, type PullProgressEvent } from '../docker/pull';

/** When to pull the image before creating a container from it. */
export type PullPolicy = 'missing' | 'always' | 'never';

export const PULL_POLICIES: readonly PullPolicy[] = ['missing', 'always', 'never'];

export interface EnsureImageOptions {
  readonly pull: PullPolicy;
  readonly onProgress?: ((event: PullProgressEvent) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export type EnsureImageError = PullImageError | NotFoundError | DockerApiError;

/** Makes sure the engine has `image`, pulling it as the policy says. */
export function ensureImage(
  docker: DockerConnection,
  image: string,
  options: EnsureImageOptions,
): ResultAsync<void, EnsureImageError> {
  const pull = (): ResultAsync<void, EnsureImageError> =>
    pullImage(docker, image, {
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.signal && { signal: options.signal }),
    }).map(() => undefined);
  if (options.pull === 'always') return pull();
  const client = clientOf(docker);
  return dockerCall(`inspect image ${image}`, () => client.getImage(image).inspect())
    .map(() => true)
    .orElse((error) => (error.statusCode === 404 ? okAsync(false) : errAsync(error)))
    .andThen((present): ResultAsync<void, EnsureImageError> => {
      if (present) return okAsync(undefined);
      if (options.pull === 'never') {
        return errAsync(
          berthError.notFound({
            resource: 'image',
            ref: image,
            message: `image ${image} is not on the engine and pull is "never"`,
          }),
        );
      }
      return pull();
    });
}
