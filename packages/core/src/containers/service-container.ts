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
import type { PullProgressEvent } from '../docker/pull';
import { checkContainerName, parseImageRef } from '../docker/refs';
import { berthLabels } from '../labels';
import { ensureImage, type EnsureImageError, type PullPolicy } from './ensure-image';
import {
  checkSignal,
  execInContainer,
  type ExecError,
  type ExecOptions,
  type ExecResult,
} from './exec';
import { inspectContainer } from './inspect';
import { DEFAULT_READINESS_TIMEOUT_MS, waitUntilReady, type Readiness } from './readiness';
import { checkCommand, checkLabels, checkPullPolicy } from './spec-checks';

export interface PortMapping {
  readonly container: number;
  readonly host: number;
  /** Default `127.0.0.1`: berth never publishes on every interface unless told. */
  readonly hostIp?: string;
  readonly protocol?: 'tcp' | 'udp';
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface ServiceContainerSpec {
  readonly name: string;
  readonly image: string;
  /** Containers (names or ids, optionally `:ro`) whose volumes this one mounts, like `--volumes-from`. */
  readonly volumesFrom?: readonly string[];
  /** `host`, `none`, or an existing network's name. Default: the engine's default network. */
  readonly network?: string;
  /** Published ports; not with `host` or `none` networking. */
  readonly ports?: readonly PortMapping[];
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly restart?: RestartPolicy;
  readonly readiness?: Readiness;
  /** Leave the container in place when it fails to start or become ready, for inspection. */
  readonly keepOnFailure?: boolean;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  readonly onProgress?: (event: PullProgressEvent) => void;
  readonly signal?: AbortSignal;
}

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

const RESTART: readonly RestartPolicy[] = ['no', 'always', 'unless-stopped', 'on-failure'];

interface Checked {
  readonly name: string;
  readonly volumesFrom: readonly { ref: string; mode: '' | ':ro' | ':rw' }[];
  readonly command?: readonly string[];
  readonly labels: Record<string, string>;
}

function invalid(field: string, message: string): InvalidInputError {
  return berthError.invalidInput({ field, message });
}

function checkSpec(spec: ServiceContainerSpec): Checked | InvalidInputError {
  if (typeof spec !== 'object' || spec === null) return invalid('spec', 'spec must be an object');
  const name = checkContainerName(spec.name, 'spec.name');
  if (name.isErr()) return name.error;
  const image = parseImageRef(spec.image, 'spec.image');
  if (image.isErr()) return image.error;
  const volumesFrom: { ref: string; mode: '' | ':ro' | ':rw' }[] = [];
  for (const [i, entry] of (spec.volumesFrom ?? []).entries()) {
    const match = typeof entry === 'string' ? /^(.+?)(:ro|:rw)?$/.exec(entry) : null;
    const ref = match?.[1] ? checkContainerName(match[1], `spec.volumesFrom[${i}]`) : undefined;
    if (!ref || ref.isErr()) {
      return ref?.isErr()
        ? ref.error
        : invalid(
            `spec.volumesFrom[${i}]`,
            `spec.volumesFrom[${i}] must be a container name or id, optionally with :ro or :rw`,
          );
    }
    volumesFrom.push({ ref: ref.value, mode: (match?.[2] ?? '') as '' | ':ro' | ':rw' });
  }
  if (
    spec.network !== undefined &&
    (typeof spec.network !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$/.test(spec.network))
  ) {
    return invalid('spec.network', `spec.network "${String(spec.network)}" is not a network name`);
  }
  if (spec.ports?.length && (spec.network === 'host' || spec.network === 'none')) {
    return invalid(
      'spec.ports',
      `spec.ports cannot be published with network "${spec.network}": a host-network service binds its ports itself`,
    );
  }
  for (const [i, p] of (spec.ports ?? []).entries()) {
    const okPort = (n: unknown) =>
      Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
    if (!okPort(p.container) || !okPort(p.host))
      return invalid(`spec.ports[${i}]`, `spec.ports[${i}] needs whole port numbers 1–65535`);
  }
  let command: string[] | undefined;
  if (spec.command !== undefined) {
    const c = checkCommand(spec.command, 'spec.command');
    if (c.isErr()) return c.error;
    command = c.value;
  }
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    if (!/^[^=\0]+$/.test(key) || typeof value !== 'string' || value.includes('\0')) {
      return invalid(
        `spec.env.${key}`,
        `spec.env "${key}" must be a name without "=" and a string value`,
      );
    }
  }
  const labels = checkLabels(spec.labels ?? {}, 'spec.labels');
  if (labels.isErr()) return labels.error;
  if (spec.restart !== undefined && !RESTART.includes(spec.restart)) {
    return invalid('spec.restart', `spec.restart must be one of ${RESTART.join(', ')}`);
  }
  const pull = checkPullPolicy(spec.pull ?? 'missing', 'spec.pull');
  if (pull.isErr()) return pull.error;
  const r = spec.readiness;
  if (r !== undefined) {
    if ('http' in r) {
      const url = URL.canParse(r.http) ? new URL(r.http) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        return invalid(
          'spec.readiness.http',
          `spec.readiness.http "${r.http}" is not an http(s) URL`,
        );
    } else if (!('logLine' in r) || !(r.logLine instanceof RegExp)) {
      return invalid('spec.readiness', 'spec.readiness needs { http: url } or { logLine: RegExp }');
    }
    if (r.timeoutMs !== undefined && !(r.timeoutMs > 0))
      return invalid('spec.readiness.timeoutMs', 'spec.readiness.timeoutMs must be positive');
  }
  return { name: name.value, volumesFrom, ...(command && { command }), labels: labels.value };
}

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
  const checked = checkSpec(spec);
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
