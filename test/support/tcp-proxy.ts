// A loopback TCP proxy a test can cut and restore: "the server went away" for one client,
// without stopping a service other tests share.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's own loopback port, the same across cut and restore. */
  readonly port: number;
  /** Stops listening and resets every open connection: clients see the server gone. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Cuts for good. */
  close(): Promise<void>;
}

/** Starts forwarding `127.0.0.1:<port>` to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(targetPort: number, port = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = async (on: number): Promise<number> => {
    const s = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(on, '127.0.0.1', () => resolve());
    });
    server = s;
    const address = s.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return address.port;
  };

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const bound = await listen(port);
  return {
    port: bound,
    cut,
    restore: async () => {
      if (!server) await listen(bound);
    },
    close: cut,
  };
}
