/**
 * The HTTP transport handed to isomorphic-git: its own Node client, bound to one AbortSignal so
 * a deadline tears the socket down, on agents of its own, and asking for thin packs.
 *
 * Why its own agents: Node 20's global agent gives every socket a 5 s idle timeout, and the
 * client turns that into "Request timed out". A server that counts and compresses objects for
 * longer before the pack's first byte is not stalled; the deadlines are `timeoutMs` and the idle
 * deadline of `git-idle.ts`, nothing else.
 *
 * Why thin packs: isomorphic-git leaves `thin-pack` out of its requests (canonical git cannot
 * index a thin pack on its own; isomorphic-git can, resolving the bases from the cache). Without
 * it, git's upload-pack answers a shallow fetch (`deepen 1`) with the commit's whole tree even
 * when the client has the parent: measured here, 486 KB instead of 813 bytes for a 1-file change
 * on a 200-file site. With it, the cost of a fetch follows the size of the change.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { isomorphicGitHttp } from '../util/dependencies';
import type { ClientHandle } from './idle';

const CAPABILITY = 'thin-pack';

/** The upload-pack request with `thin-pack` added to the first `want` line's capabilities. */
export function askForThinPack(body: readonly Uint8Array[]): Uint8Array[] {
  const bytes = Buffer.concat(body);
  const length = parseInt(bytes.subarray(0, 4).toString('latin1'), 16);
  if (!Number.isInteger(length) || length <= 4 || length > bytes.length) return [...body];
  const line = bytes.subarray(4, length).toString('latin1');
  if (!line.startsWith('want ')) return [...body];
  const content = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (content.split(' ').includes(CAPABILITY)) return [...body];
  const rewritten = Buffer.from(`${content} ${CAPABILITY}\n`, 'latin1');
  const header = Buffer.from((rewritten.length + 4).toString(16).padStart(4, '0'), 'latin1');
  return [Buffer.concat([header, rewritten, bytes.subarray(length)])];
}

/**
 * The upload-pack POST, sent with Node's own client. isomorphic-git's client reads a response
 * with `'data'` events into a queue that nothing bounds: a pack arriving faster than it is written
 * to disk would pile up in memory. Here the body is the response's own async iterator, which
 * reads from the socket only as fast as it is consumed.
 */
function postUploadPack(
  req: GitHttpRequest,
  body: Buffer,
  agent: HttpAgent | HttpsAgent,
  signal: AbortSignal,
): Promise<GitHttpResponse> {
  const send = req.url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      req.url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(body.length) },
        agent,
        signal,
      },
      (response: IncomingMessage) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({
          url: req.url,
          method: 'POST',
          statusCode: response.statusCode ?? 0,
          statusMessage: response.statusMessage ?? '',
          headers,
          body: response[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

/** isomorphic-git's Node HTTP client, every request of it bound to `signal`; `close` drops its sockets. */
export function httpClient(signal: AbortSignal): ClientHandle {
  // Keep-alive so the POST reuses the GET's connection; no socket timeout (see above).
  const agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
  const client: HttpClient = {
    request: async (req) => {
      const agent = req.url.startsWith('https:') ? agents.https : agents.http;
      const { request } = isomorphicGitHttp();
      const isUploadPack = req.method === 'POST' && req.url.endsWith('/git-upload-pack');
      // Typed as an async iterator, the request body is in fact an array of one buffer (isomorphic-git
      // sends it whole, with a Content-Length); anything else goes out unchanged.
      const raw: unknown = req.body;
      if (!isUploadPack || !Array.isArray(raw)) return request({ ...req, agent, signal });
      return postUploadPack(req, Buffer.concat(askForThinPack(raw as Uint8Array[])), agent, signal);
    },
  };
  return {
    client,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
