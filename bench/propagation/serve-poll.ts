// "nginx serves the new content": a GET every few ms until the body carries the marker. Plain
// node:http on a keep-alive connection, so the poller itself takes as little CPU as it can from
// the watcher it measures.
import { Agent, get } from 'node:http';

const POLL_MS = 5;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function body(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent, timeout: 2_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/** Resolves the time (performance.now()) at which `url` first answered with `marker` in its body. */
export async function servedAt(url: string, marker: string, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const { status, text } = await body(url);
      if (status === 200 && text.includes(marker)) return performance.now();
    } catch {
      // not serving yet
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${url} did not serve ${marker} within ${timeoutMs} ms`);
}
