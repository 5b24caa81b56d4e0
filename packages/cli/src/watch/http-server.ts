import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { NodeStatus, WatchStatus } from '@berth/core';
import type { WatchMetrics } from './metrics';
import { fleetFragment, statusPage } from './status-page';

/** What `/api/fleet` answers: every live node under the status prefix, and what the key wants. */
export interface FleetDocument {
  readonly key: string;
  readonly node: string;
  readonly generatedAt: string;
  /** The commit the key names now, when it names a full SHA. */
  readonly wanted: string | undefined;
  readonly nodes: readonly NodeStatus[];
}

export interface DaemonHttpOptions {
  /** `127.0.0.1:9100`. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The node's status; undefined while the watcher is starting. */
  readonly status: () => WatchStatus | undefined;
  readonly metrics: WatchMetrics;
  readonly fleet: () => Promise<FleetDocument>;
  readonly title: string;
}

export interface DaemonHttp {
  readonly url: string;
  close(): Promise<void>;
}

/** `--http` could not be served: the daemon does not run without its health endpoint. */
export interface ListenFailure {
  readonly kind: 'ListenFailed';
  readonly message: string;
  readonly address: string;
  readonly code: string | undefined;
}

export function isListenFailure(value: unknown): value is ListenFailure {
  return (value as { kind?: unknown } | undefined)?.kind === 'ListenFailed';
}

function listenFailure(
  listen: DaemonHttpOptions['listen'],
  error: NodeJS.ErrnoException,
): ListenFailure {
  const address = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  const why =
    error.code === 'EADDRINUSE'
      ? 'the address is already in use'
      : error.code === 'EADDRNOTAVAIL'
        ? 'no interface of this host has that address'
        : error.code === 'EACCES'
          ? 'permission denied'
          : error.message;
  return {
    kind: 'ListenFailed',
    message: `cannot serve --http on ${address}: ${why}${error.code ? ` (${error.code})` : ''}`,
    address,
    code: error.code,
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

/**
 * Rejects with a {@link ListenFailure} when the address cannot be bound.
 * `/healthz` (503 until the first publish and while unhealthy), `/metrics` (Prometheus),
 * `/api/fleet` (JSON), `/` (the fleet's status page, server-rendered) and `/fleet.html` (its
 * table alone, which the page swaps in once a second).
 */
export async function startDaemonHttp(options: DaemonHttpOptions): Promise<DaemonHttp> {
  // The page is rendered with the fleet in it: it needs no JavaScript to show the table.
  const fleetOrNothing = () => options.fleet().catch(() => undefined);
  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(response, 405, 'text/plain', 'GET only\n');
    switch (path) {
      case '/healthz': {
        const status = options.status();
        const ready = status?.commit !== undefined && status.healthy;
        // The body never contradicts the code: `healthy` is what the code says.
        const body = status ? { ...status, healthy: ready } : { starting: true, healthy: false };
        return send(response, ready ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
      }
      case '/metrics':
        return send(
          response,
          200,
          options.metrics.registry.contentType,
          await options.metrics.registry.metrics(),
        );
      case '/api/fleet': {
        const fleet = await options.fleet().then(
          (document) => ({ ok: true as const, document }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (fleet.ok)
          return send(response, 200, 'application/json', `${JSON.stringify(fleet.document)}\n`);
        const message = fleet.error instanceof Error ? fleet.error.message : String(fleet.error);
        return send(response, 503, 'application/json', `${JSON.stringify({ error: message })}\n`);
      }
      case '/':
        return send(
          response,
          200,
          'text/html; charset=utf-8',
          statusPage(options.title, await fleetOrNothing()),
        );
      case '/fleet.html':
        return send(
          response,
          200,
          'text/html; charset=utf-8',
          fleetFragment(await fleetOrNothing()),
        );
      default:
        return send(response, 404, 'text/plain', 'not found\n');
    }
  };
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(
          response,
          500,
          'text/plain',
          `${error instanceof Error ? error.message : String(error)}\n`,
        );
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      // An Error carrying the typed fields, so a caller that only awaits still gets a stack.
      reject(Object.assign(new Error(''), listenFailure(options.listen, error))),
    );
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : options.listen.port;
  return {
    url: `http://${options.listen.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
