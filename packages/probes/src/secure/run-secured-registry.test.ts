import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clientOf } from '../../../core/src/docker/connection';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { freePortPair, selfSignedCertificate } from '../../test/support/ports';
import { probeRegistry } from '../registry/probe-registry';
import { runSecuredRegistry } from './run-secured-registry';

const t = useTestDocker();
const user = { username: 'ci', password: 'push-and-pull' };
const users = [user];

async function follow(stream: Readable): Promise<void> {
  const errors: string[] = [];
  await new Promise<void>((resolve, reject) =>
    clientOf(t.docker).modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: { error?: string }) => void (event.error && errors.push(event.error)),
    ),
  );
  if (errors.length > 0) throw new Error(errors.join('; '));
}

async function leftovers(): Promise<string[]> {
  const filters = JSON.stringify({ label: [`io.berth.test-run=${t.runId}`] });
  return (await clientOf(t.docker).listContainers({ all: true, filters })).map(
    (c) => c.Names[0] ?? c.Id,
  );
}

const local = () => ({
  registryImage: serviceEnv().imageRegistry,
  proxyImage: serviceEnv().imageNginx,
  labels: t.labels,
});

describe('runSecuredRegistry', () => {
  it('serves over TLS with Basic auth: no critical finding, and an image round-trips with credentials', async () => {
    const [port] = await freePortPair();
    const tls = await selfSignedCertificate();
    const registry = (
      await runSecuredRegistry(t.docker, { port, users, tls, name: t.name('reg'), ...local() })
    )._unsafeUnwrap();
    try {
      expect(registry.url).toBe(`https://127.0.0.1:${port}`);
      const report = (
        await probeRegistry(registry.url, { ca: tls.certificate, credentials: user })
      )._unsafeUnwrap();
      expect(report.facts).toMatchObject({
        tls: 'verified',
        apiStatus: 401,
        auth: { type: 'basic' },
        push: { access: 'denied' },
        credentials: 'accepted',
      });
      expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
      expect(report.findings).toEqual([]);

      const client = clientOf(t.docker);
      const source = client.getImage(serviceEnv().imageBusybox);
      const repo = `${registry.host}/berth-probe/busybox`;
      const ref = `${repo}:${t.runId}`;
      const authconfig = {
        username: 'ci',
        password: 'push-and-pull',
        serveraddress: registry.host,
      };
      await source.tag({ repo, tag: t.runId });
      try {
        await follow((await client.getImage(ref).push({ authconfig })) as Readable);
        await client.getImage(ref).remove();
        const wrong = { ...authconfig, password: 'wrong' };
        const pullWrong = async () =>
          follow((await client.pull(ref, { authconfig: wrong })) as Readable);
        await expect(pullWrong()).rejects.toThrow(/auth/);
        await follow((await client.pull(ref, { authconfig })) as Readable);
        expect((await client.getImage(ref).inspect()).Id).toBe((await source.inspect()).Id);
      } finally {
        await client
          .getImage(ref)
          .remove()
          .catch(() => undefined);
      }
    } finally {
      (await registry.remove())._unsafeUnwrap();
    }
    expect(await leftovers()).toEqual([]);
  });

  it('serves plain HTTP on loopback: only the clear-text warning, never critical', async () => {
    const [port] = await freePortPair();
    const registry = (
      await runSecuredRegistry(t.docker, { port, users, name: t.name('reg'), ...local() })
    )._unsafeUnwrap();
    try {
      const report = (await probeRegistry(registry.host, { credentials: user }))._unsafeUnwrap();
      expect(report.facts).toMatchObject({
        scheme: 'http',
        apiStatus: 401,
        credentials: 'accepted',
        apiVersionHeader: 'registry/2.0',
      });
      expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([
        'warn registry.basic-over-plain-http',
      ]);
    } finally {
      (await registry.remove())._unsafeUnwrap();
    }
    expect(await leftovers()).toEqual([]);
  });

  it('removes whatever it started when the proxy cannot start', async () => {
    const [port] = await freePortPair();
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runSecuredRegistry(t.docker, {
        port,
        users,
        name: t.name('reg'),
        readinessTimeoutMs: 15_000,
        ...local(),
      });
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'ReadinessTimeout', removed: true });
      expect(await leftovers()).toEqual([]);
    } finally {
      squatter.close();
    }
  });

  it('refuses a bad user list before touching the engine', async () => {
    const result = await runSecuredRegistry(t.docker, {
      port: 5999,
      users: [{ username: '', password: 'x' }],
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'users[0].username',
    });
  });
});
