import type { Etcd3, IOptions } from 'etcd3';
import type { ResultAsync } from 'neverthrow';
import { errAsync } from 'neverthrow';
import {
  berthError,
  describeCause,
  isBerthError,
  type EtcdUnreachableError,
  type InvalidInputError,
} from '../errors';
import { bounded } from '../util/bounded';
import { etcd3 } from '../util/dependencies';

export interface ConnectEtcdOptions {
  /** `http://127.0.0.1:2379` style URLs. Default: `ETCDCTL_ENDPOINTS`, then `ETCD_ENDPOINTS`, then `http://127.0.0.1:2379`. */
  readonly endpoints?: readonly string[];
  readonly auth?: { readonly username: string; readonly password: string };
  /** PEM contents; giving `ca` makes the endpoints https. */
  readonly tls?: {
    readonly ca: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
  };
  /** How long the cluster may take to answer the first status call. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The environment to read. Default `process.env`, read once here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A checked connection to an etcd cluster. Close it when done: it holds gRPC channels open. */
export interface EtcdConnection {
  readonly endpoints: readonly string[];
  /** Where the endpoints came from. */
  readonly source: 'options' | 'ETCDCTL_ENDPOINTS' | 'ETCD_ENDPOINTS' | 'default';
  /** The answering member's server version, e.g. `3.4.23`. */
  readonly serverVersion: string;
  readonly clusterId: string;
  close(): void;
}

export type ConnectEtcdError = EtcdUnreachableError | InvalidInputError;

const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';

const clients = new WeakMap<EtcdConnection, Etcd3>();

/** The etcd3 client behind a connection made by `connectEtcd`. */
export function etcdClientOf(connection: EtcdConnection): Etcd3 {
  const client = clients.get(connection);
  if (!client)
    throw new TypeError(
      'not an EtcdConnection made by connectEtcd(): connect first and pass its result',
    );
  return client;
}

function pickEndpoints(options: ConnectEtcdOptions): {
  endpoints: string[];
  source: EtcdConnection['source'];
} {
  if (options.endpoints) return { endpoints: [...options.endpoints], source: 'options' };
  const env = options.env ?? process.env;
  for (const name of ['ETCDCTL_ENDPOINTS', 'ETCD_ENDPOINTS'] as const) {
    const value = env[name]?.trim();
    if (value)
      return {
        endpoints: value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        source: name,
      };
  }
  return { endpoints: [DEFAULT_ENDPOINT], source: 'default' };
}

function normaliseEndpoint(endpoint: string, secure: boolean): string | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(endpoint)
    ? endpoint
    : `${secure ? 'https' : 'http'}://${endpoint}`;
  try {
    const url = new URL(withScheme);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || !url.port)
      return undefined;
    return `${url.protocol}//${url.host}`;
  } catch {
    return undefined;
  }
}

const asBuffer = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/**
 * Connects to etcd and checks that a member answers (a `status` call) within the timeout.
 * Endpoints: `options.endpoints`, else `ETCDCTL_ENDPOINTS` / `ETCD_ENDPOINTS` (comma-separated),
 * else `http://127.0.0.1:2379`.
 */
export function connectEtcd(
  options: ConnectEtcdOptions = {},
): ResultAsync<EtcdConnection, ConnectEtcdError> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return errAsync(
      berthError.invalidInput({
        field: 'timeoutMs',
        message: `timeoutMs must be a positive number, got ${timeoutMs}`,
      }),
    );
  }
  const picked = pickEndpoints(options);
  const secure = options.tls !== undefined;
  const endpoints: string[] = [];
  for (const raw of picked.endpoints) {
    const endpoint = normaliseEndpoint(raw, secure);
    if (!endpoint) {
      return errAsync(
        berthError.invalidInput({
          field: picked.source === 'options' ? 'endpoints' : picked.source,
          message: `"${raw}" is not an etcd endpoint (expected http(s)://host:port or host:port)`,
        }),
      );
    }
    endpoints.push(endpoint);
  }
  if (endpoints.length === 0) {
    return errAsync(
      berthError.invalidInput({ field: 'endpoints', message: 'no etcd endpoint given' }),
    );
  }

  const etcdOptions: IOptions = {
    hosts: endpoints,
    dialTimeout: timeoutMs,
    ...(options.auth && {
      auth: { username: options.auth.username, password: options.auth.password },
    }),
    ...(options.tls && {
      credentials: {
        rootCertificate: asBuffer(options.tls.ca),
        ...(options.tls.key !== undefined && { privateKey: asBuffer(options.tls.key) }),
        ...(options.tls.cert !== undefined && { certChain: asBuffer(options.tls.cert) }),
      },
    }),
  };
  const client = new (etcd3().Etcd3)(etcdOptions);

  return bounded(
    { operation: `etcd status (${endpoints.join(', ')})`, timeoutMs, signal: options.signal },
    () => client.maintenance.status({ deadline: Date.now() + timeoutMs }),
    (cause) => cause,
  )
    .mapErr((failure) => {
      client.close();
      const why = isBerthError(failure) ? failure.message : describeCause(failure);
      return berthError.etcdUnreachable({
        endpoints,
        message: `no etcd member answered at ${endpoints.join(', ')} (from ${picked.source}): ${why}`,
        cause: failure,
      });
    })
    .map((status) => {
      const connection: EtcdConnection = {
        endpoints,
        source: picked.source,
        serverVersion: status.version,
        clusterId: status.header.cluster_id,
        close: () => client.close(),
      };
      clients.set(connection, client);
      return connection;
    });
}
