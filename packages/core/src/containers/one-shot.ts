import { ResultAsync, err, errAsync, okAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
  type TimeoutError,
} from '../errors';
import { dockerCall, toDockerApiError } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { demuxBuffer } from '../docker/demux';
import { parseImageRef } from '../docker/refs';
import { berthLabels } from '../labels';
import { bounded } from '../util/bounded';
import { ensureImage, type EnsureImageError, type PullPolicy } from './ensure-image';
import { checkCommand, checkLabels, checkPullPolicy } from './spec-checks';

export interface OneShotSpec {
  readonly image: string;
  /** The argv to run; the image's entrypoint is replaced, so it works on images with one. */
  readonly command: readonly string[];
  /** `none` (default), `host`, or an existing network's name. berth never creates one. */
  readonly network?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly user?: string;
  /** Extra labels; berth's own, with role `helper`, are always added. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Bound on start, run and exit. Default 60 000 ms; the container is removed either way. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  /** Containers whose volumes (and the volumes they mount from others) it mounts, like `--volumes-from`. */
  readonly volumesFrom?: readonly string[];
}

export interface OneShotResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type RunOneShotError =
  | InvalidInputError
  | NotFoundError
  | EnsureImageError
  | DockerApiError
  | TimeoutError
  | AbortedError;

const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$/;
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * `docker run --rm --network none <image> <command…>` as a typed call: the exit code with
 * stdout and stderr apart. The container (labelled role `helper`) is removed whatever happens:
 * a non-zero exit, a timeout, an abort. A non-zero exit is a result, not an error.
 */
export function runOneShotContainer(
  docker: DockerConnection,
  spec: OneShotSpec,
): ResultAsync<OneShotResult, RunOneShotError> {
  const image = parseImageRef(spec.image, 'spec.image');
  if (image.isErr()) return errAsync(image.error);
  const command = checkCommand(spec.command, 'spec.command');
  if (command.isErr()) return errAsync(command.error);
  const labels = checkLabels(spec.labels ?? {}, 'spec.labels');
  if (labels.isErr()) return errAsync(labels.error);
  const pull = checkPullPolicy(spec.pull ?? 'missing', 'spec.pull');
  if (pull.isErr()) return errAsync(pull.error);
  const network = spec.network ?? 'none';
  if (!NETWORK.test(network)) {
    return errAsync(
      berthError.invalidInput({
        field: 'spec.network',
        message: `"${network}" is not a network name`,
      }),
    );
  }
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) {
    return errAsync(
      berthError.invalidInput({
        field: 'spec.timeoutMs',
        message: 'spec.timeoutMs must be positive',
      }),
    );
  }
  if (spec.signal?.aborted) {
    return errAsync(
      berthError.aborted({
        operation: `one-shot ${spec.image}`,
        message: 'aborted before it started',
      }),
    );
  }
  const client = clientOf(docker);
  const [entrypoint, ...args] = command.value;
  const operation = `one-shot ${spec.image} ${JSON.stringify(command.value)}`;

  const create = () =>
    dockerCall(`create ${operation}`, () =>
      client.createContainer({
        Image: spec.image,
        Entrypoint: [entrypoint ?? ''],
        Cmd: args,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(spec.user !== undefined && { User: spec.user }),
        Labels: berthLabels('helper', labels.value),
        AttachStdout: false,
        AttachStderr: false,
        HostConfig: {
          NetworkMode: network,
          ...(spec.volumesFrom && { VolumesFrom: [...spec.volumesFrom] }),
        },
      }),
    )
      .map((container) => container.id)
      .orElse((error) =>
        errAsync<string, RunOneShotError>(
          error.statusCode === 404 && !/network/i.test(error.message)
            ? berthError.notFound({
                resource: 'image',
                ref: spec.image,
                message: `image ${spec.image} not found`,
              })
            : error.statusCode === 404
              ? berthError.notFound({
                  resource: 'network',
                  ref: network,
                  message: `network ${network} not found`,
                })
              : error,
        ),
      );

  const runAndRemove = (id: string): ResultAsync<OneShotResult, RunOneShotError> =>
    new ResultAsync(
      (async () => {
        const container = client.getContainer(id);
        const outcome = await bounded(
          { operation, timeoutMs, signal: spec.signal },
          async (signal) => {
            await container.start({ abortSignal: signal } as object);
            const waited = (await container.wait({ abortSignal: signal } as object)) as {
              StatusCode?: number;
            };
            const logs = await container.logs({
              stdout: true,
              stderr: true,
              follow: false,
              abortSignal: signal,
            } as object as { follow: false });
            return { exitCode: waited.StatusCode ?? -1, ...demuxBuffer(logs) };
          },
          (cause) => toDockerApiError(operation, cause),
        );
        // Removing also ends a run that timed out: force kills it first.
        const removed = await dockerCall(`remove helper ${id.slice(0, 12)}`, () =>
          container.remove({ force: true, v: true }),
        );
        if (outcome.isOk() && removed.isErr() && removed.error.statusCode !== 404) {
          return err(removed.error);
        }
        return outcome;
      })(),
    );

  return ensureImage(docker, spec.image, { pull: pull.value, signal: spec.signal })
    .andThen(() =>
      spec.signal?.aborted
        ? errAsync(berthError.aborted({ operation, message: `${operation} was aborted` }))
        : okAsync(undefined),
    )
    .andThen(create)
    .andThen(runAndRemove);
}
