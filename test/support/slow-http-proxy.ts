// A loopback HTTP proxy in front of the git HTTP service that holds back the answer to every
// upload-pack POST for `delayMs` before forwarding it: a server silent while it prepares a pack.
// With `stallAfterBytes`, it forwards that much of the answer and then goes silent for good (the
// connection stays open): a server that stalls in the middle of the pack.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface SlowHttpProxy {
  /** The proxy's base URL; append the repository's path on the git server. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startSlowHttpProxy(
  upstream: string,
  delayMs: number,
  options: { readonly stallAfterBytes?: number } = {},
): Promise<SlowHttpProxy> {
  const target = new URL(upstream);
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer: IncomingMessage) => {
        const send = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const limit = options.stallAfterBytes;
          if (limit === undefined || req.method !== 'POST') return void answer.pipe(res);
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (sent < limit) res.write(chunk.subarray(0, limit - sent));
            sent += chunk.length;
          });
        };
        if (req.method !== 'POST' || !req.url?.endsWith('/git-upload-pack')) return send();
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, delayMs);
        timers.add(timer);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
