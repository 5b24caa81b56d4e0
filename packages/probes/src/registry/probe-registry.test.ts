import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { servicesDir } from '../../../../test/support/load-env';
import { serviceEnv } from '../../../../test/support/services';
import { probeRegistry } from './probe-registry';

const env = () => serviceEnv();
const ca = () => readFileSync(env().registryCa);
const credentials = () => ({ username: env().registryUser, password: env().registryPassword });
const ids = (findings: readonly { id: string; severity: string }[]) =>
  findings.map((f) => `${f.severity} ${f.id}`);

/** Files an upload leaves in the open registry's filesystem storage (services' own data dir). */
function uploadFiles(repository: string): string[] {
  const uploads = join(
    servicesDir,
    'data/registry/docker/registry/v2/repositories',
    repository,
    '_uploads',
  );
  try {
    return readdirSync(uploads, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && (e.name === 'data' || e.name === 'startedat'))
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('probeRegistry against the real registries', () => {
  it('finds the open registry critically exposed, and leaves no upload behind', async () => {
    const report = (await probeRegistry(env().registry))._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      reachable: true,
      scheme: 'http',
      tls: 'none',
      apiStatus: 200,
      apiVersionHeader: 'registry/2.0',
      auth: { type: 'none' },
      catalog: { access: 'allowed' },
      push: {
        access: 'allowed',
        status: 202,
        cleanup: 'cancelled',
        repository: 'berth-probe/push-check',
      },
    });
    expect(ids(report.findings)).toContain('critical registry.anonymous-push');
    expect(ids(report.findings)).toContain('warn registry.catalog-exposed');
    expect(uploadFiles('berth-probe/push-check')).toEqual([]);
    const catalog = (await (await fetch(`http://${env().registry}/v2/_catalog`)).json()) as {
      repositories: string[];
    };
    expect(catalog.repositories).not.toContain('berth-probe/push-check');
  });

  it('sees Basic auth over plain HTTP: 401 without credentials, accepted with the right ones', async () => {
    const report = (
      await probeRegistry(env().authRegistryHttp, { credentials: credentials() })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      scheme: 'http',
      apiStatus: 401,
      auth: { type: 'basic', realm: 'Registry realm' },
      catalog: { access: 'denied', status: 401 },
      push: { access: 'denied', status: 401 },
      credentials: 'accepted',
    });
    expect(ids(report.findings)).toEqual(['warn registry.basic-over-plain-http']);
  });

  it('sees Basic auth over TLS: verified with the CA, no finding with the right credentials', async () => {
    const report = (
      await probeRegistry(`https://${env().authRegistryTls}`, {
        credentials: credentials(),
        ca: ca(),
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      scheme: 'https',
      tls: 'verified',
      apiStatus: 401,
      credentials: 'accepted',
    });
    expect(report.findings).toEqual([]);
  });

  it('reports a self-signed certificate, and sends it no credentials', async () => {
    const report = (
      await probeRegistry(env().authRegistryTls, {
        credentials: { ...credentials(), password: 'wrong' },
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      scheme: 'https',
      tls: 'self-signed',
      tlsError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    // Loopback or not, TLS that did not verify is not trusted with a password.
    expect(report.facts.credentials).toBe('withheld');
    expect(ids(report.findings)).toEqual([
      'warn registry.tls-unverified',
      'info registry.credentials-withheld',
    ]);
  });

  it('reports rejected credentials over TLS verified with the CA', async () => {
    const report = (
      await probeRegistry(env().authRegistryTls, {
        ca: ca(),
        credentials: { ...credentials(), password: 'wrong' },
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({ tls: 'verified', credentials: 'rejected' });
    expect(ids(report.findings)).toEqual(['warn registry.credentials-rejected']);
  });

  it('reports an address where nothing listens as unreachable, quickly', async () => {
    const port = await listen(createServer());
    await new Promise((r) => servers.pop()?.close(r));
    const started = Date.now();
    const report = (await probeRegistry(`127.0.0.1:${port}`, { timeoutMs: 2_000 }))._unsafeUnwrap();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.facts.reachable).toBe(false);
    expect(report.facts.unreachableReasons).toHaveLength(2);
    expect(ids(report.findings)).toEqual(['warn registry.unreachable']);
  });

  it('gives up on a server that never answers within its timeout', async () => {
    const port = await listen(createServer(() => undefined));
    const started = Date.now();
    const report = (
      await probeRegistry(`http://127.0.0.1:${port}`, { timeoutMs: 500 })
    )._unsafeUnwrap();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(report.facts.unreachableReasons?.[0]).toContain('timeout');
  });

  it('refuses plain HTTP to a host that is not loopback unless told it is insecure', async () => {
    const result = await probeRegistry('http://registry.example.com:5000');
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'url' });
  });

  it('stops when the caller aborts', async () => {
    const port = await listen(createServer(() => undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await probeRegistry(`http://127.0.0.1:${port}`, {
      signal: controller.signal,
      timeoutMs: 10_000,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
  });
});

describe('probeRegistry against a Bearer registry (an in-process token service and registry)', () => {
  it('asks for an anonymous token, and checks credentials at the token service', async () => {
    let base = '';
    const port = await listen(
      createServer((req, res) => {
        const url = new URL(req.url ?? '/', base);
        const auth = req.headers.authorization ?? '';
        if (url.pathname === '/token') {
          const good = auth === `Basic ${Buffer.from('alice:secret').toString('base64')}`;
          const anonymous = auth === '';
          res.writeHead(good || anonymous ? 200 : 401, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              good ? { token: 'user-token' } : anonymous ? { token: 'anon-token' } : {},
            ),
          );
          return;
        }
        const challenge = `Bearer realm="${base}/token",service="fake"`;
        const headers = {
          'docker-distribution-api-version': 'registry/2.0',
          'www-authenticate': challenge,
        };
        if (auth === 'Bearer user-token') return void res.writeHead(200, headers).end('{}');
        if (
          auth === 'Bearer anon-token' &&
          req.method === 'GET' &&
          url.pathname.endsWith('/tags/list')
        ) {
          return void res.writeHead(200, headers).end('{"tags":["1"]}');
        }
        res.writeHead(401, headers).end();
      }),
    );
    base = `http://127.0.0.1:${port}`;
    const report = (
      await probeRegistry(base, {
        repository: 'team/site',
        credentials: { username: 'alice', password: 'secret' },
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      auth: { type: 'bearer', realm: `${base}/token`, service: 'fake' },
      anonymousToken: 'granted',
      catalog: { access: 'denied' },
      tags: { repository: 'team/site', access: 'allowed' },
      push: { access: 'denied' },
      credentials: 'accepted',
    });
    expect(ids(report.findings)).toEqual([
      'info registry.anonymous-pull',
      'info registry.anonymous-token',
    ]);
    const wrong = (
      await probeRegistry(base, { credentials: { username: 'alice', password: 'nope' } })
    )._unsafeUnwrap();
    expect(wrong.facts.credentials).toBe('rejected');
  });
});
