// "nginx serves the new content": a GET every few ms until the body carries the marker. The
// poller shares the machine with what it measures (on a fleet run, every node's watcher, nginx
// and etcd on two cores), so it is made cheap: one keep-alive socket per node with a request
// written as prepared bytes and a response read by Content-Length, without node:http's client
// (with it, every 5 ms, the bench process used ≈ 48 ms of CPU per fleet-of-10 update; with this
// poller at the fleet's interval, ≈ 18 ms, announcing included). A fleet shares one poll budget: the
// more nodes, the longer each node's interval, so the measurement loads the machine no more as
// the fleet grows. The interval only ever adds to a measured time: a node is seen serving at its
// first poll after it serves, never before.
import { connect, type Socket } from 'node:net';

/** The interval of a lone node, in ms. */
export const POLL_MS = 5;
/** Requests per second a whole fleet's polls may make together. */
export const POLL_BUDGET_PER_S = 1_000;

/** The interval at which each of `nodes` nodes polled together is polled, in ms. */
export function pollInterval(nodes: number): number {
  return Math.max(POLL_MS, (1_000 * nodes) / POLL_BUDGET_PER_S);
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive HTTP/1.1 connection to `url`'s server that GETs `url` and answers the body. */
class Connection {
  private socket: Socket | undefined;
  private readonly request: Buffer;
  private readonly host: string;
  private readonly port: number;

  constructor(url: string) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.request = Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  }

  get(timeoutMs: number): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const socket = this.open();
      let received: Buffer = Buffer.alloc(0);
      const done = (error?: Error, answer?: { status: number; body: Buffer }) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error) {
          socket.destroy();
          this.socket = undefined;
          reject(error);
        } else if (answer) resolve(answer);
      };
      const onError = (error: Error) => done(error);
      const onClose = () => done(new Error('connection closed'));
      const onData = (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const end = received.indexOf(HEADER_END);
        if (end < 0) return;
        const head = received.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
        if (length === undefined) return done(new Error('no Content-Length'));
        const bodyStart = end + HEADER_END.length;
        if (received.length < bodyStart + Number(length)) return;
        done(undefined, { status, body: received.subarray(bodyStart, bodyStart + Number(length)) });
      };
      const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(this.request);
    });
  }

  /** The connection, made anew when there is none (nginx may close an idle one). */
  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect(this.port, this.host).setNoDelay(true);
    // An error between requests only means: connect again at the next one.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    this.socket = socket;
    return socket;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * Resolves the time (performance.now()) at which `url` first answered 200 with `marker` in its
 * body, polling every `intervalMs`.
 */
export async function servedAt(
  url: string,
  marker: string,
  intervalMs = POLL_MS,
  timeoutMs = 30_000,
): Promise<number> {
  const connection = new Connection(url);
  const wanted = Buffer.from(marker);
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      try {
        const { status, body } = await connection.get(2_000);
        if (status === 200 && body.includes(wanted)) return performance.now();
      } catch {
        // not serving yet
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    connection.close();
  }
  throw new Error(`${url} did not serve ${marker} within ${timeoutMs} ms`);
}
