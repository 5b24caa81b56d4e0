import type Dockerode from 'dockerode';
import type { ResultAsync } from 'neverthrow';
import { errAsync, okAsync } from 'neverthrow';
import {
  berthError,
  describeCause,
  type DockerConnectAttempt,
  type DockerUnreachableError,
  type InvalidInputError,
} from '../errors';
import { bounded } from '../util/bounded';
import { dockerode, https } from '../util/dependencies';
import { bindEngine, type DockerConnection } from './connection';
import { engineGet, speaksHttp, type EngineEndpoint } from './engine-http';
import {
  discoveryInput,
  endpointStrategies,
  type DiscoveryInput,
  type DockerTlsMaterial,
  type EndpointCandidate,
} from './endpoint-sources';

export interface ConnectDockerOptions {
  /** `unix:///path`, `tcp://host:port`, `http(s)://host:port` or `ssh://user@host`. Wins over everything else. */
  readonly host?: string;
  /** TLS for an explicit tcp host: PEM contents. */
  readonly tls?: {
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    readonly verify?: boolean;
  };
  /** How long the engine may take to answer the first ping. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The environment to read (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, …). Default `process.env`, read once here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where `~/.docker` lives. Default the user's home directory. */
  readonly homeDir?: string;
  /** The system socket tried last. Default `/var/run/docker.sock`. */
  readonly defaultSocketPath?: string;
}

export type ConnectDockerError = DockerUnreachableError | InvalidInputError;

/** How long connectDocker waits for the engine's first ping unless told (`timeoutMs`). */
export const DOCKER_PING_TIMEOUT_MS = 5_000;

type ModemOptions = Dockerode.DockerOptions;

function toBuffer(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/**
 * Dockerode options for an endpoint. Every key is set, even to undefined: docker-modem merges
 * what it reads from `process.env` underneath, and an unset key would let `DOCKER_HOST` win over
 * the endpoint berth chose.
 */
function modemOptions(endpoint: string, tls: DockerTlsMaterial | undefined): ModemOptions | string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `"${endpoint}" is not a URL (expected unix:///path or tcp://host:port)`;
  }
  const blank: ModemOptions = {
    host: undefined,
    port: undefined,
    socketPath: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    pathPrefix: '/',
    timeout: undefined,
  } as ModemOptions;
  switch (url.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(url.pathname);
      if (!socketPath) return `"${endpoint}" names no socket path`;
      return { ...blank, socketPath };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      if (!url.hostname) return `"${endpoint}" names no host`;
      const secure = url.protocol === 'https:' || tls !== undefined;
      const port = url.port || (secure ? '2376' : '2375');
      const options: ModemOptions = {
        ...blank,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port,
        protocol: secure ? 'https' : 'http',
      };
      if (tls) {
        Object.assign(options, { ca: tls.ca, cert: tls.cert, key: tls.key });
        if (!tls.verify) {
          Object.assign(options, {
            agent: new (https().Agent)({
              rejectUnauthorized: false,
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
            }),
          });
        }
      }
      return options;
    }
    case 'ssh:':
      return {
        ...blank,
        protocol: 'ssh',
        host: url.hostname,
        port: url.port || '22',
        username: decodeURIComponent(url.username) || undefined,
      };
    default:
      return `"${endpoint}": scheme ${url.protocol} is not supported (use unix://, tcp://, http(s):// or ssh://)`;
  }
}

interface VersionAnswer {
  ApiVersion?: string;
  Version?: string;
  Os?: string;
  Arch?: string;
}

type VersionCall = (options: { abortSignal: AbortSignal }) => Promise<VersionAnswer>;

/** The engine's `GET /version`: over node:http where the endpoint allows, else through dockerode. */
async function askVersion(options: ModemOptions, abortSignal: AbortSignal): Promise<VersionAnswer> {
  if (speaksHttp(options as EngineEndpoint)) {
    return engineGet(options as EngineEndpoint, '/version', abortSignal).then((answer) =>
      typeof answer === 'object' && answer !== null ? (answer as VersionAnswer) : {},
    );
  }
  const probe = new (dockerode())(options);
  // dockerode passes abortSignal through to the request; its typings do not say so.
  return (probe.version.bind(probe) as unknown as VersionCall)({ abortSignal });
}

function tryCandidate(
  candidate: EndpointCandidate,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): ResultAsync<{ options: ModemOptions; version: VersionAnswer }, string> {
  const options = modemOptions(candidate.endpoint, candidate.tls);
  if (typeof options === 'string') return errAsync(options);
  return bounded(
    { operation: `ping ${candidate.endpoint}`, timeoutMs, signal },
    (abortSignal) => askVersion(options, abortSignal),
    (cause) => describeCause(cause),
  )
    .mapErr((e) => (typeof e === 'string' ? e : e.message))
    .andThen((version) => {
      if (!version.ApiVersion)
        return errAsync('answered, but not like a Docker engine (no ApiVersion)');
      // Pin the API version the engine speaks, so every later request means the same thing.
      return okAsync({ options: { ...options, version: `v${version.ApiVersion}` }, version });
    });
}

/**
 * Finds a Docker engine the way Docker's CLI does and checks that it answers.
 *
 * Looks, in order: `options.host`; `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and
 * `DOCKER_CERT_PATH`); `DOCKER_CONTEXT`; `currentContext` in `$DOCKER_CONFIG/config.json`
 * (`~/.docker`); then the rootless, Docker Desktop and default sockets. A configured place is
 * final: if it does not answer, the error says so instead of reaching another engine. The
 * well-known sockets are tried one after another. Every place looked at, and why it was passed
 * over, is in `attempts` (on the connection, or on the `DockerUnreachable` error).
 */
export function connectDocker(
  options: ConnectDockerOptions = {},
): ResultAsync<DockerConnection, ConnectDockerError> {
  const timeoutMs = options.timeoutMs ?? DOCKER_PING_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return errAsync(
      berthError.invalidInput({
        field: 'timeoutMs',
        message: `timeoutMs must be a positive number, got ${timeoutMs}`,
      }),
    );
  }
  const tlsOption = options.tls;
  const explicitTls: DockerTlsMaterial | undefined = tlsOption && {
    verify: tlsOption.verify ?? true,
    ...(tlsOption.ca !== undefined && { ca: toBuffer(tlsOption.ca) }),
    ...(tlsOption.cert !== undefined && { cert: toBuffer(tlsOption.cert) }),
    ...(tlsOption.key !== undefined && { key: toBuffer(tlsOption.key) }),
  };
  const input: DiscoveryInput = discoveryInput(options, explicitTls);

  const attempts: DockerConnectAttempt[] = [];
  const unreachable = () =>
    berthError.dockerUnreachable({
      attempts: [...attempts],
      message: [
        'no Docker engine answered. Looked at:',
        ...attempts.map(
          (a) =>
            `  - ${a.source}${a.endpoint ? ` (${a.endpoint})` : ''}: ${a.outcome}, ${a.reason}`,
        ),
      ].join('\n'),
    });

  const step = (index: number): ResultAsync<DockerConnection, ConnectDockerError> => {
    const strategy = endpointStrategies[index];
    if (!strategy) return errAsync(unreachable());
    const outcome = strategy(input);
    if ('skip' in outcome) {
      attempts.push({ ...outcome.skip, outcome: 'skipped' });
      return step(index + 1);
    }
    const candidate = outcome.use;
    return tryCandidate(candidate, timeoutMs, options.signal)
      .map(({ options: engine, version }) => {
        attempts.push({
          source: candidate.source,
          endpoint: candidate.endpoint,
          outcome: 'connected',
          reason: `engine ${version.Version ?? '?'} answered, API ${version.ApiVersion ?? '?'}`,
        });
        const connection: DockerConnection = {
          endpoint: candidate.endpoint,
          source: candidate.source,
          ...(candidate.context !== undefined && { context: candidate.context }),
          tls: candidate.tls !== undefined || candidate.endpoint.startsWith('https:'),
          apiVersion: version.ApiVersion ?? '',
          engineVersion: version.Version ?? '',
          os: version.Os ?? '',
          arch: version.Arch ?? '',
          attempts: [...attempts],
        };
        return bindEngine(connection, engine as ModemOptions & EngineEndpoint);
      })
      .orElse((reason) => {
        attempts.push({
          source: candidate.source,
          endpoint: candidate.endpoint,
          outcome: 'failed',
          reason,
        });
        if (options.signal?.aborted || candidate.authoritative) return errAsync(unreachable());
        return step(index + 1);
      });
  };

  return step(0);
}
