// A loopback HTTP proxy in front of the git HTTP service that counts what reaches the origin
// (every request, and the upload-pack POSTs: one per fetch), and can hold the next upload-pack
// POST unanswered: "the origin is busy" while a test kills the process that asked.
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface CountingHttpProxy {
  /** The proxy's base URL; append the repository's path on the git server. */
  readonly baseUrl: string;
  /** Requests forwarded (or held) so far. */
  readonly requests: number;
  /** `git-upload-pack` POSTs so far: the fetches that reached the origin. */
  readonly uploadPacks: number;
  /** Holds the next upload-pack POST without answering; resolves once one is held. */
  holdNextUploadPack(): Promise<void>;
  /** Drops every held request (its client sees the connection reset). */
  dropHeld(): void;
  close(): Promise<void>;
}

export async function startCountingHttpProxy(upstream: string): Promise<CountingHttpProxy> {
  const target = new URL(upstream);
  let requests = 0;
  let uploadPacks = 0;
  let hold: (() => void) | undefined;
  const held = new Set<ServerResponse>();
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server: Server = createServer((req, res) => {
    requests += 1;
    const isUploadPack = req.method === 'POST' && req.url?.endsWith('/git-upload-pack') === true;
    if (isUploadPack) uploadPacks += 1;
    if (isUploadPack && hold) {
      const told = hold;
      hold = undefined;
      held.add(res);
      req.resume();
      told();
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    get requests() {
      return requests;
    },
    get uploadPacks() {
      return uploadPacks;
    },
    holdNextUploadPack: () => new Promise<void>((resolve) => (hold = resolve)),
    dropHeld: () => {
      for (const res of held) res.destroy();
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
