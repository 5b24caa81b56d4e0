// A loopback HTTP proxy in front of the git smart-HTTP server that counts what reaches it: the
// origin's load per deploy, measured where a code host would see it. Tests and the propagation
// bench point sources at `url(repo.url)` and read `take()` around each deploy.
import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

/** What one request through the counter was, by the smart-HTTP protocol's own endpoints. */
export type GitRequestKind = 'advertisement' | 'upload-pack' | 'other';

export interface CountedRequest {
  readonly kind: GitRequestKind;
  readonly method: string;
  /** The path on the git server, query included (`/repo.git/info/refs?service=git-upload-pack`). */
  readonly path: string;
}

export interface GitRequestCounts {
  /** `GET …/info/refs?service=git-upload-pack`: one per fetch (or `ls-remote`). */
  readonly advertisements: number;
  /** `POST …/git-upload-pack`: one per negotiation round (one per plain fetch, more with protocol v2). */
  readonly uploadPacks: number;
  /** Everything else (receive-pack, dumb HTTP, unknown paths). */
  readonly other: number;
  /** Upload-pack requests: advertisements + upload-pack POSTs (what serving fetches costs the origin). */
  readonly origin: number;
  readonly requests: readonly CountedRequest[];
}

export interface GitRequestCounter {
  /** The counter's base URL (`http://127.0.0.1:<port>`). */
  readonly baseUrl: string;
  /** `repoUrl` (on the upstream server) as reached through the counter. */
  url(repoUrl: string): string;
  /** Everything counted since the start or the last {@link take}. */
  counts(): GitRequestCounts;
  /** Like {@link counts}, then starts again from zero. */
  take(): GitRequestCounts;
  /**
   * Holds the next upload-pack POST unanswered (counted, never forwarded): "the origin is busy"
   * while a test kills the process that asked. Resolves once one is held.
   */
  holdNextUploadPack(): Promise<void>;
  /** Drops every held request (its client sees the connection reset). */
  dropHeld(): void;
  close(): Promise<void>;
}

export function classifyGitRequest(method: string, path: string): GitRequestKind {
  const [pathname = '', query = ''] = path.split('?', 2);
  if (
    method === 'GET' &&
    pathname.endsWith('/info/refs') &&
    new URLSearchParams(query).get('service') === 'git-upload-pack'
  )
    return 'advertisement';
  if (method === 'POST' && pathname.endsWith('/git-upload-pack')) return 'upload-pack';
  return 'other';
}

export function summariseGitRequests(requests: readonly CountedRequest[]): GitRequestCounts {
  const count = (kind: GitRequestKind) => requests.filter((r) => r.kind === kind).length;
  const advertisements = count('advertisement');
  const uploadPacks = count('upload-pack');
  return {
    advertisements,
    uploadPacks,
    other: count('other'),
    origin: advertisements + uploadPacks,
    requests: [...requests],
  };
}

/** Starts a counting proxy on 127.0.0.1 (a free port) in front of `upstream` (`http://host:port`). */
export async function startGitRequestCounter(upstream: string): Promise<GitRequestCounter> {
  const target = new URL(upstream);
  let seen: CountedRequest[] = [];
  let hold: (() => void) | undefined;
  const held = new Set<ServerResponse>();
  const dropHeld = () => {
    for (const res of held) res.destroy();
    held.clear();
  };
  // Not the global agent: its 5 s socket timeout would cut a pack the server is slow to start.
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    // Counted when it arrives: a deploy's requests are all in once every node has synced.
    const kind = classifyGitRequest(method, path);
    seen.push({ kind, method, path });
    if (kind === 'upload-pack' && hold) {
      const told = hold;
      hold = undefined;
      held.add(res);
      req.resume();
      told();
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        agent,
        method,
        path,
        headers: { ...req.headers, host: target.host },
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the counter got no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    baseUrl,
    url(repoUrl) {
      const repo = new URL(repoUrl);
      if (repo.host !== target.host)
        throw new Error(`${repoUrl} is not on ${upstream}, the server this counter is in front of`);
      return `${baseUrl}${repo.pathname}${repo.search}`;
    },
    counts: () => summariseGitRequests(seen),
    take() {
      const taken = summariseGitRequests(seen);
      seen = [];
      return taken;
    },
    holdNextUploadPack: () => new Promise<void>((resolve) => (hold = resolve)),
    dropHeld,
    close: () =>
      new Promise<void>((resolve) => {
        dropHeld();
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
