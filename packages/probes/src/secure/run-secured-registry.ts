import {
  berthError,
  createDataContainer,
  putFiles,
  removeDataContainer,
  runServiceContainer,
  type CreateDataContainerError,
  type DockerApiError,
  type DockerConnection,
  type PullPolicy,
  type RunServiceContainerError,
  type ServiceContainer,
} from '@berth/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { RegistryUser } from './htpasswd';
import { secureRegistryConfig } from './secure-registry-config';

export interface RunSecuredRegistryOptions {
  /** The proxy listens on 127.0.0.1:<port>, the only way in. */
  readonly port: number;
  readonly users: readonly RegistryUser[];
  /** The registry listens on 127.0.0.1:<upstreamPort> for the proxy. Default `port + 1`. */
  readonly upstreamPort?: number;
  /** Default `registry:2` (its config takes `REGISTRY_HTTP_ADDR`). */
  readonly registryImage?: string;
  /** Default `nginx`; any image with nginx on its PATH. */
  readonly proxyImage?: string;
  /** PEM certificate and key: the proxy then speaks only HTTPS. Without it, plain HTTP on loopback. */
  readonly tls?: { readonly certificate: string | Buffer; readonly key: string | Buffer };
  /**
   * A data container whose `/var/lib/registry` volume keeps the images: created when missing,
   * kept by `remove()`. Without it, the images live in `<name>-storage`, removed with the rest.
   */
  readonly storageContainer?: string;
  /** Prefix of the containers' names. Default `berth-registry-<port>`. */
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  /** How long each container may take to become ready. Default 30 000 ms. */
  readonly readinessTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A running registry behind its Basic-auth proxy. */
export interface SecuredRegistry {
  /** `https://127.0.0.1:<port>` or `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  readonly host: string;
  readonly containers: {
    readonly proxy: string;
    readonly registry: string;
    readonly config: string;
    readonly storage: string;
  };
  /** Stops and removes the proxy, the registry and their data containers (a given `storageContainer` stays). */
  remove(): ResultAsync<void, DockerApiError>;
}

export type RunSecuredRegistryError = CreateDataContainerError | RunServiceContainerError;

const CONFIG_DIR = '/etc/berth-registry-proxy';
const STORAGE_DIR = '/var/lib/registry';

/**
 * The seed's registry, secured: `registry:2` listening on loopback only, and nginx in front of
 * it demanding HTTP Basic auth (TLS when given), both on the host network and bound to
 * 127.0.0.1. The proxy's files come from a data container, as the content does for the CDN.
 * On any failure, whatever was started is removed again.
 */
export function runSecuredRegistry(
  docker: DockerConnection,
  options: RunSecuredRegistryOptions,
): ResultAsync<SecuredRegistry, RunSecuredRegistryError> {
  const upstreamPort = options.upstreamPort ?? options.port + 1;
  const tlsPaths = options.tls
    ? { certificate: `${CONFIG_DIR}/tls.crt`, key: `${CONFIG_DIR}/tls.key` }
    : undefined;
  const config = secureRegistryConfig({
    users: options.users,
    upstream: `127.0.0.1:${upstreamPort}`,
    listen: { port: options.port },
    htpasswdPath: `${CONFIG_DIR}/htpasswd`,
    ...(tlsPaths && { tls: tlsPaths }),
  });
  if (config.isErr()) return errAsync(config.error);
  if (
    !Number.isInteger(upstreamPort) ||
    upstreamPort === options.port ||
    upstreamPort < 1 ||
    upstreamPort > 65535
  ) {
    return errAsync(
      berthError.invalidInput({
        field: 'upstreamPort',
        message: 'upstreamPort must be a port number other than port',
      }),
    );
  }
  const name = options.name ?? `berth-registry-${options.port}`;
  const registryImage = options.registryImage ?? 'registry:2';
  const proxyImage = options.proxyImage ?? 'nginx';
  const labels = options.labels ?? {};
  const pull = options.pull ?? 'missing';
  const timeoutMs = options.readinessTimeoutMs ?? 30_000;
  const signal = options.signal ? { signal: options.signal } : {};
  const names = {
    config: `${name}-config`,
    storage: options.storageContainer ?? `${name}-storage`,
    registry: `${name}-upstream`,
    proxy: `${name}-proxy`,
  };
  const started: ServiceContainer[] = [];
  const dataMade: string[] = [];

  /** Removes services (last started first), then data containers, one at a time; a missing one is fine. */
  const undo = (
    services: readonly ServiceContainer[],
    data: readonly string[],
  ): ResultAsync<void, DockerApiError> => {
    const removeServices = [...services]
      .reverse()
      .reduce(
        (chain, service) => chain.andThen(() => service.remove()),
        okAsync<void, DockerApiError>(undefined),
      );
    return data.reduce(
      (chain, container) =>
        chain.andThen(() =>
          removeDataContainer(docker, container, { volumes: true, force: true })
            .map(() => undefined)
            .orElse((e) =>
              e.kind === 'NotFound'
                ? okAsync(undefined)
                : errAsync(
                    e.kind === 'DockerApi'
                      ? e
                      : berthError.dockerApi({
                          operation: `remove ${container}`,
                          message: e.message,
                        }),
                  ),
            ),
        ),
      removeServices,
    );
  };

  const tlsKey = options.tls?.key;
  const files: Record<string, string | Buffer> = {
    [`${CONFIG_DIR}/nginx.conf`]: config.value.nginxConf,
    [`${CONFIG_DIR}/htpasswd`]: config.value.htpasswd,
  };
  const steps = createDataContainer(docker, {
    name: names.config,
    image: proxyImage,
    volumes: [CONFIG_DIR],
    labels,
    pull,
    ...signal,
  })
    .andThen((made) => {
      dataMade.push(made.name);
      return putFiles(docker, made.id, files, { mode: 0o644 });
    })
    .andThen(() =>
      options.tls && tlsPaths && tlsKey !== undefined
        ? putFiles(
            docker,
            names.config,
            { [tlsPaths.certificate]: options.tls.certificate },
            { mode: 0o644 },
          ).andThen(() =>
            putFiles(docker, names.config, { [tlsPaths.key]: tlsKey }, { mode: 0o600 }),
          )
        : okAsync(undefined),
    )
    .andThen(() =>
      createDataContainer(docker, {
        name: names.storage,
        image: registryImage,
        volumes: [STORAGE_DIR],
        labels,
        pull,
        ...signal,
      }),
    )
    .andThen((storage) => {
      if (storage.created && options.storageContainer === undefined) dataMade.push(storage.name);
      return runServiceContainer(docker, {
        name: names.registry,
        image: registryImage,
        volumesFrom: [names.storage],
        network: 'host',
        env: {
          REGISTRY_HTTP_ADDR: `127.0.0.1:${upstreamPort}`,
          REGISTRY_STORAGE_DELETE_ENABLED: 'true',
        },
        labels,
        pull,
        readiness: { http: `http://127.0.0.1:${upstreamPort}/v2/`, status: 200, timeoutMs },
        ...signal,
      });
    })
    .andThen((registry) => {
      started.push(registry);
      return runServiceContainer(docker, {
        name: names.proxy,
        image: proxyImage,
        volumesFrom: [`${names.config}:ro`],
        network: 'host',
        command: ['nginx', '-c', `${CONFIG_DIR}/nginx.conf`, '-g', 'daemon off;'],
        labels,
        pull,
        // nginx logs this once its sockets are bound; an HTTP check could not verify a self-signed TLS port.
        readiness: { logLine: /start worker process/, timeoutMs },
        ...signal,
      });
    })
    .map((proxy): SecuredRegistry => {
      started.push(proxy);
      const services = [...started];
      const data = [...dataMade];
      return {
        url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${options.port}`,
        host: `127.0.0.1:${options.port}`,
        containers: names,
        remove: () => undo(services, data),
      };
    });

  return steps.orElse((error) =>
    undo(started, dataMade)
      .andThen(() => errAsync(error))
      .orElse(() => errAsync(error)),
  );
}
