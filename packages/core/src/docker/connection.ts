import type Dockerode from 'dockerode';
import { dockerode } from '../util/dependencies';
import { engineGet, speaksHttp, type EngineEndpoint } from './engine-http';
import type { DockerConnectAttempt, DockerEndpointSource } from '../errors';

/**
 * A live connection to one Docker engine, as `connectDocker` found it. Pass it first to every
 * primitive: `createDataContainer(docker, spec)`. It says where it came from, so a script can
 * print which engine it is about to change.
 */
export interface DockerConnection {
  /** `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`, … */
  readonly endpoint: string;
  /** Which place chose the endpoint. */
  readonly source: DockerEndpointSource;
  /** The context's name, when a Docker context chose it. */
  readonly context?: string;
  readonly tls: boolean;
  /** The engine's API version, e.g. `1.41`; requests use it. */
  readonly apiVersion: string;
  /** The engine's own version, e.g. `20.10.24`. */
  readonly engineVersion: string;
  readonly os: string;
  readonly arch: string;
  /** Every place looked at, in order, including the one that answered. */
  readonly attempts: readonly DockerConnectAttempt[];
}

// The engine client stays out of the public type: one module owns the mapping. dockerode is made
// the first time a primitive needs it, so a connection used only for the requests engine-http.ts
// makes (the ping, a container listing) never loads it.
interface EngineBinding {
  /** dockerode's options for the endpoint, the API version pinned. */
  readonly options: Dockerode.DockerOptions & EngineEndpoint;
  client?: Dockerode;
}

const bindings = new WeakMap<DockerConnection, EngineBinding>();

export function bindEngine(
  connection: DockerConnection,
  options: Dockerode.DockerOptions & EngineEndpoint,
): DockerConnection {
  bindings.set(connection, { options });
  return connection;
}

function bindingOf(connection: DockerConnection): EngineBinding {
  const binding = bindings.get(connection);
  if (!binding) {
    throw new TypeError(
      'not a DockerConnection made by connectDocker(): connect first and pass its result',
    );
  }
  return binding;
}

/** The engine client behind a connection made by `connectDocker`. */
export function clientOf(connection: DockerConnection): Dockerode {
  const binding = bindingOf(connection);
  binding.client ??= new (dockerode())(binding.options);
  return binding.client;
}

/**
 * `GET path` (without the version prefix) on the connection's engine through node:http, or
 * undefined when the endpoint needs dockerode (ssh).
 */
export function lightGet(
  connection: DockerConnection,
): ((path: string, signal: AbortSignal) => Promise<unknown>) | undefined {
  const { options } = bindingOf(connection);
  if (!speaksHttp(options)) return undefined;
  return (path, signal) =>
    engineGet(options, options.version ? `/${options.version}${path}` : path, signal);
}
