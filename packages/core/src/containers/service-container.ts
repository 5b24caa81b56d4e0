import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type ConflictError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
  type ReadinessTimeoutError,
} from '../errors';
import { dockerCall, toDockerApiError } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { demuxBuffer } from '../docker/demux';
import { berthLabels } from '../labels';
import { ensureImage, type EnsureImageError } from './ensure-image';
import {
  checkSignal,
  execInContainer,
  type ExecError,
  type ExecOptions,
  type ExecResult,
} from './exec';
import { inspectContainer } from './inspect';
import { DEFAULT_READINESS_TIMEOUT_MS, waitUntilReady } from './readiness';
import { checkServiceSpec, type ServiceContainerSpec } from './service-spec';

export type { PortMapping, RestartPolicy, ServiceContainerSpec } from './service-spec';

/** A running service container and what can be done with it. */
export interface ServiceContainer {
  readonly id: string;
  readonly name: string;
  /** `docker exec`, stdout and stderr apart, with the exit code. */
  exec(cmd: readonly string[], options?: ExecOptions): ResultAsync<ExecResult, ExecError>;
  /** `docker kill --signal`: `SIGHUP`, `HUP` or a number. */
  signal(name: string): ResultAsync<void, InvalidInputError | DockerApiError>;
  /** The last `tail` lines (default all) of stdout and stderr. */
  logs(options?: {
    readonly tail?: number;
  }): ResultAsync<{ stdout: string; stderr: string }, DockerApiError>;
  /** `docker stop`: SIGTERM, then SIGKILL after `timeoutSeconds` (default 10). Stopping a stopped one is fine. */
  stop(options?: { readonly timeoutSeconds?: number }): ResultAsync<void, DockerApiError>;
  /** Removes it (stopping it first) with its anonymous volumes. Removing a removed one is fine. */
  remove(): ResultAsync<void, DockerApiError>;
}

export type RunServiceContainerError =
  | InvalidInputError
  | NotFoundError
  | ConflictError
  | ReadinessTimeoutError
  | EnsureImageError
  | DockerApiError
  | AbortedError;

function handle(docker: DockerConnection, id: string, name: string): ServiceContainer {
  const container = () => clientOf(docker).getContainer(id);
  const ignore =
    (...codes: number[]) =>
    (error: DockerApiError) =>
      error.statusCode !== undefined && codes.includes(error.statusCode)
        ? okAsync(undefined)
        : errAsync(error);
  return {
    id,
    name,
    exec: (cmd, options) => execInContainer(docker, id, cmd, options),
    signal: (signal) => {
      const bad = checkSignal(signal);
      return bad
        ? errAsync(bad)
        : dockerCall(`signal ${name}`, () => container().kill({ signal })).map(() => undefined);
    },
    logs: (options = {}) =>
      dockerCall(`logs ${name}`, () =>
        container().logs({
          stdout: true,
          stderr: true,
          follow: false,
          tail: options.tail ?? 'all',
        } as { follow: false }),
      ).map((buffer) => demuxBuffer(buffer)),
    stop: (options = {}) =>
      dockerCall(`stop ${name}`, () => container().stop({ t: options.timeoutSeconds ?? 10 }))
        .map(() => undefined)
        .orElse(ignore(304, 404)),
    remove: () =>
      dockerCall(`remove ${name}`, () => container().remove({ force: true, v: true }))
        .map(() => undefined)
        .orElse(ignore(404)),
  };
}

/**
 * `docker run -d --volumes-from www-content … nginx`, then waits until the service is ready.
 * A start or readiness failure removes the container (unless `keepOnFailure`) and reports the
 * container's last log lines, so nothing is left behind half-started.
 */
export function runServiceContainer(
  docker: DockerConnection,
  spec: ServiceContainerSpec,
): ResultAsync<ServiceContainer, RunServiceContainerError> {
  const checked = checkServiceSpec(spec);
  if ('kind' in checked) return errAsync(checked);
  const client = clientOf(docker);
  const name = checked.name;

  const volumesFrom = ResultAsync.combine(
    checked.volumesFrom.map(({ ref, mode }, i) =>
      inspectContainer(docker, ref).andThen((facts) =>
        facts
          ? okAsync(`${facts.name}${mode}`)
          : errAsync(
              berthError.notFound({
                resource: 'container',
                ref,
                message: `spec.volumesFrom[${i}]: no container ${ref}`,
              }),
            ),
      ),
    ),
  );

  const noClash = inspectContainer(docker, name, { exactName: true }).andThen((existing) =>
    existing
      ? errAsync(
          berthError.conflict({
            name,
            differences: [`a container named ${name} already exists (${existing.id.slice(0, 12)})`],
            message: `a container named ${name} already exists; remove it first`,
          }),
        )
      : okAsync(undefined),
  );

  const create = (from: string[]) =>
    dockerCall(`create container ${name}`, () =>
      client.createContainer({
        name,
        Image: spec.image,
        ...(checked.command && { Cmd: [...checked.command] }),
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: berthLabels('service', checked.labels),
        ExposedPorts: Object.fromEntries(
          (spec.ports ?? []).map((p) => [`${p.container}/${p.protocol ?? 'tcp'}`, {}]),
        ),
        HostConfig: {
          VolumesFrom: from,
          ...(spec.network !== undefined && { NetworkMode: spec.network }),
          ...(spec.restart !== undefined && { RestartPolicy: { Name: spec.restart } }),
          PortBindings: Object.fromEntries(
            (spec.ports ?? []).map((p) => [
              `${p.container}/${p.protocol ?? 'tcp'}`,
              [{ HostIp: p.hostIp ?? '127.0.0.1', HostPort: String(p.host) }],
            ]),
          ),
        },
      }),
    ).orElse((error) =>
      error.statusCode === 409
        ? errAsync(
            berthError.conflict({
              name,
              differences: [`a container named ${name} was created meanwhile`],
              message: `a container named ${name} already exists`,
            }),
          )
        : error.statusCode === 404 && /network/i.test(error.message)
          ? errAsync(
              berthError.notFound({
                resource: 'network',
                ref: spec.network ?? '',
                message: `network ${spec.network ?? ''} not found`,
              }),
            )
          : errAsync(error),
    );

  const discard = (id: string) =>
    spec.keepOnFailure
      ? okAsync(false)
      : dockerCall(`remove ${name}`, () => client.getContainer(id).remove({ force: true, v: true }))
          .map(() => true)
          .orElse(() => okAsync(false));

  const lastLogs = (id: string) =>
    dockerCall(`logs ${name}`, () =>
      client
        .getContainer(id)
        .logs({ stdout: true, stderr: true, follow: false, tail: 50 } as { follow: false }),
    )
      .map((buffer) => {
        const { stdout, stderr } = demuxBuffer(buffer);
        return `${stdout}${stderr}`
          .split('\n')
          .filter((l) => l.length > 0)
          .slice(-50);
      })
      .orElse(() => okAsync<string[], never>([]));

  const start = (id: string): ResultAsync<string, RunServiceContainerError> =>
    dockerCall(`start container ${name}`, () => client.getContainer(id).start())
      .map(() => id)
      .orElse((error) => discard(id).andThen(() => errAsync(error)));

  const ready = (id: string): ResultAsync<string, RunServiceContainerError> => {
    const readiness = spec.readiness;
    if (!readiness) return okAsync(id);
    const timeoutMs = readiness.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
    const signal = AbortSignal.any([
      AbortSignal.timeout(timeoutMs),
      ...(spec.signal ? [spec.signal] : []),
    ]);
    return ResultAsync.fromPromise(waitUntilReady(docker, id, readiness, signal), (cause) =>
      toDockerApiError(`readiness of ${name}`, cause),
    ).andThen((notReady) => {
      if (!notReady) return okAsync(id);
      return lastLogs(id).andThen((logs) =>
        discard(id).andThen((removed) =>
          errAsync(
            berthError.readinessTimeout({
              container: name,
              timeoutMs,
              lastLogs: logs,
              removed,
              message:
                notReady.why === 'exited'
                  ? `${name} exited with code ${notReady.exitCode} before it was ready`
                  : `${name} was not ready within ${timeoutMs} ms`,
            }),
          ),
        ),
      );
    });
  };

  return volumesFrom
    .andThen((from) => noClash.map(() => from))
    .andThen((from) =>
      ensureImage(docker, spec.image, {
        pull: spec.pull ?? 'missing',
        onProgress: spec.onProgress,
        signal: spec.signal,
      })
        .andThen(() => create(from))
        .map((c) => c.id),
    )
    .andThen(start)
    .andThen(ready)
    .map((id) => handle(docker, id, name));
}
