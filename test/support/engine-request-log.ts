// A unix-socket HTTP proxy in front of the real Docker engine that records every request it
// forwards: a test connects through it and counts the engine requests a primitive made, whichever
// client (dockerode or node:http) made them.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EngineRequestLog {
  /** `unix:///…`, for `connectDocker({ host })`. */
  readonly endpoint: string;
  /** `GET /v1.41/containers/json?all=1`, … in the order they arrived. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startEngineRequestLog(
  engineSocket = '/var/run/docker.sock',
): Promise<EngineRequestLog> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-engine-log-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: string[] = [];
  const server = createServer((incoming, outgoing) => {
    requests.push(`${incoming.method ?? '?'} ${incoming.url ?? '?'}`);
    const upstream = request(
      {
        socketPath: engineSocket,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    endpoint: `unix://${socketPath}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
