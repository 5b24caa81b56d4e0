import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../../test/support/services';
import { connectEtcd, etcdClientOf } from './etcd';

async function withSilentPort<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  try {
    return await fn(address.port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A loopback port where nothing listens (bound, read, released). */
function closedPort(): Promise<number> {
  return withSilentPort((port) => Promise.resolve(port));
}

describe('connectEtcd', () => {
  it('connects to the endpoints it is given and checks a member answers', async () => {
    const etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    try {
      expect(etcd).toMatchObject({ source: 'options', endpoints: [serviceEnv().etcdEndpoint] });
      expect(etcd.serverVersion).toMatch(/^3\./);
      const client = etcdClientOf(etcd);
      const key = `berth-test/connect/${Date.now()}`;
      await client.put(key).value('ok');
      expect(await client.get(key).string()).toBe('ok');
      await client.delete().key(key);
    } finally {
      etcd.close();
    }
  });

  it('reads ETCDCTL_ENDPOINTS, then ETCD_ENDPOINTS, from the environment it is given', async () => {
    const url = new URL(serviceEnv().etcdEndpoint);
    const first = (
      await connectEtcd({ env: { ETCDCTL_ENDPOINTS: ` ${url.host} ` } })
    )._unsafeUnwrap();
    first.close();
    expect(first).toMatchObject({ source: 'ETCDCTL_ENDPOINTS', endpoints: [`http://${url.host}`] });
    const second = (
      await connectEtcd({ env: { ETCD_ENDPOINTS: serviceEnv().etcdEndpoint } })
    )._unsafeUnwrap();
    second.close();
    expect(second.source).toBe('ETCD_ENDPOINTS');
  });

  it('defaults to 127.0.0.1:2379', async () => {
    const result = await connectEtcd({ env: {}, timeoutMs: 3_000 });
    if (result.isOk()) result.value.close();
    // The project's etcd listens there unless moved with BERTH_ETCD_PORT.
    if (serviceEnv().etcdEndpoint === 'http://127.0.0.1:2379') {
      expect(result._unsafeUnwrap()).toMatchObject({
        source: 'default',
        endpoints: ['http://127.0.0.1:2379'],
      });
    } else {
      expect(result._unsafeUnwrapErr().kind).toBe('EtcdUnreachable');
    }
  });

  it('reports EtcdUnreachable within the timeout when nothing listens', async () => {
    const port = await closedPort();
    const started = Date.now();
    const result = await connectEtcd({ endpoints: [`127.0.0.1:${port}`], timeoutMs: 500 });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'EtcdUnreachable',
      endpoints: [`http://127.0.0.1:${port}`],
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports EtcdUnreachable within the timeout when the peer accepts and never answers', async () => {
    await withSilentPort(async (port) => {
      const started = Date.now();
      const result = await connectEtcd({ endpoints: [`http://127.0.0.1:${port}`], timeoutMs: 500 });
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'EtcdUnreachable' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it.each([
    [{ endpoints: [] }, 'endpoints'],
    [{ endpoints: ['ftp://127.0.0.1:2379'] }, 'endpoints'],
    [{ endpoints: ['127.0.0.1'] }, 'endpoints'],
    [{ env: { ETCDCTL_ENDPOINTS: 'not a url' } }, 'ETCDCTL_ENDPOINTS'],
    [{ timeoutMs: -1 }, 'timeoutMs'],
  ])('refuses bad input %j with InvalidInput on %s', async (options, field) => {
    const result = await connectEtcd(options);
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field });
  });
});
