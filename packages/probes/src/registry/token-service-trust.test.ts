// A real registry (distribution, token auth) whose token service lives elsewhere, on https with a
// certificate the probe does not trust: the password must never reach that service. The token
// service is a loopback HTTPS server that records the headers of every request it gets.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/support/net';
import { serviceEnv } from '../../../../test/support/services';
import { probeRegistry } from './probe-registry';

const env = () => serviceEnv();
const PASSWORD = 'token-service-must-not-see-this';
const credentials = { username: 'ci', password: PASSWORD };

let tokenService: Server;
let tokenPort: number;
let registry: ChildProcess;
let registryUrl: string;
let scratch: string;
const seen: IncomingHttpHeaders[] = [];

/** Waits (bounded) until the registry answers /v2/ at all. */
async function registryAnswers(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(`${url}/v2/`);
      return;
    } catch (cause) {
      if (Date.now() > deadline || registry.exitCode !== null) throw cause;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

beforeAll(async () => {
  const certDir = dirname(env().registryCa);
  // The services' loopback certificate: trusted only when the probe is given it as `ca`.
  tokenService = createServer(
    {
      cert: await readFile(join(certDir, 'registry.crt')),
      key: await readFile(join(certDir, 'registry.key')),
    },
    (req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    },
  );
  tokenService.listen(0, '127.0.0.1');
  await once(tokenService, 'listening');
  const address = tokenService.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  tokenPort = address.port;

  scratch = await mkdtemp(join(tmpdir(), 'berth-token-registry-'));
  const port = await freePort();
  registryUrl = `http://127.0.0.1:${port}`;
  const config = join(scratch, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(scratch, 'data')} } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      'auth:',
      '  token:',
      `    realm: https://127.0.0.1:${tokenPort}/token`,
      '    service: berth-test',
      '    issuer: berth-test',
      `    rootcertbundle: ${env().registryCa}`,
      '',
    ].join('\n'),
  );
  registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  await registryAnswers(registryUrl);
});

afterAll(async () => {
  if (registry && registry.exitCode === null) {
    registry.kill();
    await once(registry, 'exit');
  }
  tokenService?.closeAllConnections();
  await new Promise((resolve) => tokenService?.close(resolve));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const authorizations = () => seen.flatMap((headers) => headers.authorization ?? []);

describe('credentials and a token service on TLS that did not verify', () => {
  it('sends the token service no Authorization header, and says the credentials were withheld', async () => {
    seen.length = 0;
    const report = (
      await probeRegistry(registryUrl, { credentials, checkPush: false })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      auth: { type: 'bearer', realm: `https://127.0.0.1:${tokenPort}/token` },
      credentials: 'withheld',
    });
    expect(report.facts.credentialsNote).toContain('did not verify');
    expect(authorizations()).toEqual([]);
  });

  it('sends them once the token service is trusted (the recorder sees headers)', async () => {
    seen.length = 0;
    const ca = await readFile(env().registryCa);
    const report = (
      await probeRegistry(registryUrl, { credentials, checkPush: false, ca })
    )._unsafeUnwrap();
    expect(report.facts.credentials).toBe('rejected');
    expect(authorizations()).toEqual([`Basic ${Buffer.from(`ci:${PASSWORD}`).toString('base64')}`]);
  });

  it('sends them over TLS that did not verify only when told the registry is insecure', async () => {
    seen.length = 0;
    const report = await probeRegistry(registryUrl, {
      credentials,
      checkPush: false,
      insecure: true,
    });
    expect(report._unsafeUnwrap().facts.credentials).toBe('rejected');
    expect(authorizations()).toHaveLength(1);
  });
});

describe('credentials and a registry on TLS that did not verify', () => {
  it('withholds them from a loopback registry whose certificate is not trusted', async () => {
    const report = (
      await probeRegistry(`https://${env().authRegistryTls}`, {
        credentials: { username: env().registryUser, password: env().registryPassword },
        checkPush: false,
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({ tls: 'self-signed', credentials: 'withheld' });
  });
});
