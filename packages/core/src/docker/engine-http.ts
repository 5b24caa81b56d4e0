// A JSON GET to the engine over node:http(s): the requests that must be fast from a cold start
// (the ping in connectDocker, the listing behind resolveContainerNames) go this way, so a script
// that names a container does not load dockerode, whose ssh2 and gRPC dependencies cost more than
// the lookup itself. The endpoint and TLS material are the ones connect.ts chose; nothing here
// reads the environment.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Agent } from 'node:https';
import { https } from '../util/dependencies';

/** Where the engine listens: a unix socket, or a host and port (with TLS when `https`). */
export interface EngineEndpoint {
  readonly socketPath?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: string | number | undefined;
  readonly protocol?: string | undefined;
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  /** An agent that skips verification (`DOCKER_TLS_VERIFY` unset with certificates). */
  readonly agent?: Agent | undefined;
}

/** A failed answer, shaped like docker-modem's so that docker/api.ts classifies both alike. */
export interface EngineHttpFailure extends Error {
  readonly statusCode: number;
  readonly json: { message?: unknown } | null;
}

/** Whether this endpoint can be reached without dockerode (ssh cannot). */
export function speaksHttp(endpoint: EngineEndpoint): boolean {
  return (
    endpoint.socketPath !== undefined ||
    endpoint.protocol === 'http' ||
    endpoint.protocol === 'https'
  );
}

function failure(statusCode: number, body: string): EngineHttpFailure {
  let json: { message?: unknown } | null = null;
  try {
    json = JSON.parse(body) as { message?: unknown };
  } catch {
    // not JSON: a proxy's page, kept as the message below
  }
  const said = typeof json?.message === 'string' ? json.message : body.trim();
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${said}`), { statusCode, json });
}

function answer(response: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) return reject(failure(status, body));
      try {
        resolve(JSON.parse(body));
      } catch {
        // A 2xx that is not JSON is not an engine: callers check the shape they expect.
        resolve(body);
      }
    });
  });
}

/** `GET path` on the engine; resolves with the parsed JSON body of a 2xx answer. */
export function engineGet(
  endpoint: EngineEndpoint,
  path: string,
  signal: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const secure = endpoint.protocol === 'https';
    const socketPath = endpoint.socketPath;
    // A Host header of our own: the engine wants one, and Node then skips working one out.
    const common = {
      method: 'GET',
      path,
      signal,
      headers: {
        accept: 'application/json',
        host:
          endpoint.socketPath !== undefined
            ? 'docker'
            : `${endpoint.host ?? ''}:${endpoint.port ?? ''}`,
      },
    };
    const request =
      socketPath !== undefined
        ? // A connection of our own, and no agent: nothing to pool for one request, and the
          // agent's per-request host bookkeeping is a measurable part of a cold start.
          httpRequest({ ...common, createConnection: () => connect(socketPath) })
        : (secure ? https().request : httpRequest)({
            ...common,
            host: endpoint.host,
            port: endpoint.port,
            ...(secure && {
              ca: endpoint.ca,
              cert: endpoint.cert,
              key: endpoint.key,
              ...(endpoint.agent && { agent: endpoint.agent }),
            }),
          });
    request.on('response', (response) => {
      answer(response).then(resolve, reject);
    });
    request.on('error', reject);
    request.end();
  });
}
