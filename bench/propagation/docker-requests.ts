// Counts the Docker API round trips this process makes (dockerode speaks HTTP over the engine's
// socket through node:http), from Node's own http client diagnostics channel. The channel does
// not report a hijacked request (an exec's start); those are counted from the exec's create.
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface RequestLog {
  /** Docker API requests since the log was made or last taken, e.g. `POST /containers/{id}/exec`. */
  take(): string[];
  stop(): void;
}

const shape = (path: string) =>
  path
    .replace(/\?.*$/, '')
    .replace(/^\/v1\.\d+/, '')
    .replace(/\/[0-9a-f]{64}/g, '/{id}')
    .replace(/\/(containers|exec)\/[^/]+/g, '/$1/{id}');

/** Starts logging Docker API requests (requests to the engine's socket, not over TCP). */
export function logDockerRequests(): RequestLog {
  let log: string[] = [];
  const onStart = (message: unknown) => {
    const request = (message as { request?: ClientRequest }).request;
    if (!request) return;
    // The engine is reached over its unix socket: dockerode's requests carry no TCP port.
    const socketPath = (request as unknown as { socketPath?: string }).socketPath;
    const host = request.host;
    const isGit = request.path.includes('.git/');
    if (isGit || (socketPath === undefined && host !== 'localhost')) return;
    const what = `${request.method} ${shape(request.path)}`;
    log.push(what);
    // dockerode starts an exec on a hijacked (upgraded) connection, which node:http does not
    // report on this channel: every exec created is started, one round trip more.
    if (what === 'POST /containers/{id}/exec')
      log.push('POST /exec/{id}/start (hijacked: not seen, counted)');
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  return {
    take: () => {
      const taken = log;
      log = [];
      return taken;
    },
    stop: () => diagnostics.unsubscribe('http.client.request.start', onStart),
  };
}
