import type Dockerode from 'dockerode';
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

// The dockerode client stays out of the public type: one module owns the mapping.
const clients = new WeakMap<DockerConnection, Dockerode>();

export function bindClient(connection: DockerConnection, client: Dockerode): DockerConnection {
  clients.set(connection, client);
  return connection;
}

/** The engine client behind a connection made by `connectDocker`. */
export function clientOf(connection: DockerConnection): Dockerode {
  const client = clients.get(connection);
  if (!client) {
    throw new TypeError(
      'not a DockerConnection made by connectDocker(): connect first and pass its result',
    );
  }
  return client;
}
