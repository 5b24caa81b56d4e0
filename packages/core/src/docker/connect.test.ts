import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import { serviceEnv } from '../../../../test/support/services';
import { connectDocker } from './connect';
import { findDockerEndpoint } from './endpoint-sources';
import { clientOf } from './connection';

const run = promisify(execFile);
const socketPath = () => new URL(serviceEnv().dockerHost).pathname;

/** A loopback TCP (or TLS) front for the real engine's unix socket. */
async function engineProxy(tls?: {
  key: Buffer;
  cert: Buffer;
}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const pipe = (client: Socket) => {
    sockets.add(client);
    const upstream = netConnect(socketPath());
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };
  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, pipe)
    : createServer(pipe);
  return listen(server, sockets);
}

/** Accepts connections and never says a word: the address that hangs a naive client. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  return listen(
    createServer((s) => sockets.add(s)),
    sockets,
  );
}

async function listen(server: Server, sockets: Set<Socket>) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-connect-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Options that see nothing of this machine's own configuration. */
function isolated(env: Record<string, string> = {}) {
  return {
    env,
    homeDir: join(scratch, 'empty-home'),
    defaultSocketPath: join(scratch, 'no-such.sock'),
  };
}

async function writeContext(
  configDir: string,
  name: string,
  host: string,
  tlsFiles?: Record<string, Buffer>,
) {
  const digest = createHash('sha256').update(name).digest('hex');
  const metaDir = join(configDir, 'contexts', 'meta', digest);
  await mkdir(metaDir, { recursive: true });
  await writeFile(
    join(metaDir, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  );
  if (tlsFiles) {
    const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
    await mkdir(tlsDir, { recursive: true });
    for (const [file, content] of Object.entries(tlsFiles))
      await writeFile(join(tlsDir, file), content);
  }
}

describe('connectDocker', () => {
  it('uses an explicit host first, pings it and records the API version', async () => {
    const result = await connectDocker({
      host: serviceEnv().dockerHost,
      ...isolated({ DOCKER_HOST: 'unix:///nope.sock' }),
    });
    const docker = result._unsafeUnwrap();
    expect(docker.source).toBe('options');
    expect(docker.endpoint).toBe(serviceEnv().dockerHost);
    expect(docker.apiVersion).toMatch(/^1\.\d+$/);
    expect(docker.engineVersion).not.toBe('');
    expect(docker.attempts.at(-1)).toMatchObject({ source: 'options', outcome: 'connected' });
    // The client really talks to that engine, pinned to its API version.
    const info = await clientOf(docker).info();
    expect(info.ID).toBeTruthy();
  });

  it('reads DOCKER_HOST (unix) when no host is given', async () => {
    const docker = (
      await connectDocker(isolated({ DOCKER_HOST: serviceEnv().dockerHost }))
    )._unsafeUnwrap();
    expect(docker.source).toBe('DOCKER_HOST');
    expect(docker.attempts.map((a) => [a.source, a.outcome])).toEqual([
      ['options', 'skipped'],
      ['DOCKER_HOST', 'connected'],
    ]);
  });

  it('reaches an engine over tcp:// on loopback', async () => {
    const proxy = await engineProxy();
    cleanups.push(proxy.close);
    const docker = (
      await connectDocker(isolated({ DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}` }))
    )._unsafeUnwrap();
    expect(docker).toMatchObject({ source: 'DOCKER_HOST', tls: false });
    expect((await clientOf(docker).ping()).toString()).toBe('OK');
  });

  it('verifies a tcp:// engine with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const certDir = join(scratch, 'certs');
    await mkdir(certDir, { recursive: true });
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-keyout', join(certDir, 'server-key.pem'), '-out', join(certDir, 'ca.pem')],
    ]);
    const key = await readFile(join(certDir, 'server-key.pem'));
    const cert = await readFile(join(certDir, 'ca.pem'));
    const proxy = await engineProxy({ key, cert });
    cleanups.push(proxy.close);
    const endpoint = `tcp://127.0.0.1:${proxy.port}`;

    const verified = await connectDocker(
      isolated({ DOCKER_HOST: endpoint, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }),
    );
    expect(verified._unsafeUnwrap()).toMatchObject({ source: 'DOCKER_HOST', tls: true });

    // The same TLS endpoint without the CA to trust is refused, not silently accepted.
    const untrusted = await connectDocker(
      isolated({
        DOCKER_HOST: endpoint,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: join(scratch, 'empty'),
      }),
    );
    expect(untrusted._unsafeUnwrapErr()).toMatchObject({ kind: 'DockerUnreachable' });
  });

  it('fails within the timeout on an address that accepts and never answers', async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const started = Date.now();
    const result = await connectDocker({
      host: `tcp://127.0.0.1:${silent.port}`,
      timeoutMs: 400,
      ...isolated(),
    });
    const elapsed = Date.now() - started;
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe('DockerUnreachable');
    if (!hasKind(error, 'DockerUnreachable')) return;
    expect(error.attempts).toEqual([
      expect.objectContaining({
        source: 'options',
        outcome: 'failed',
        reason: expect.stringContaining('400 ms'),
      }),
    ]);
    // Bounded, not minutes: generous slack for a busy machine, far below any OS connect timeout.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('follows DOCKER_CONTEXT to the context meta file', async () => {
    const configDir = join(scratch, 'cfg-env');
    await writeContext(configDir, 'berth-ctx', serviceEnv().dockerHost);
    const docker = (
      await connectDocker(isolated({ DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'berth-ctx' }))
    )._unsafeUnwrap();
    expect(docker).toMatchObject({
      source: 'DOCKER_CONTEXT',
      context: 'berth-ctx',
      endpoint: serviceEnv().dockerHost,
    });
  });

  it('follows currentContext in config.json', async () => {
    const configDir = join(scratch, 'cfg-current');
    await writeContext(configDir, 'remote one', serviceEnv().dockerHost);
    await writeFile(
      join(configDir, 'config.json'),
      JSON.stringify({ currentContext: 'remote one' }),
    );
    const docker = (await connectDocker(isolated({ DOCKER_CONFIG: configDir })))._unsafeUnwrap();
    expect(docker).toMatchObject({ source: 'config-context', context: 'remote one' });
  });

  it('does not fall back to another engine when the configured one is down', async () => {
    const result = await connectDocker({
      ...isolated({ DOCKER_HOST: `unix://${join(scratch, 'gone.sock')}` }),
      defaultSocketPath: socketPath(),
    });
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe('DockerUnreachable');
    expect(hasKind(error, 'DockerUnreachable') && error.attempts.at(-1)).toMatchObject({
      source: 'DOCKER_HOST',
      outcome: 'failed',
    });
  });

  it('finds the default socket when nothing is configured', async () => {
    const docker = (
      await connectDocker({ ...isolated(), defaultSocketPath: socketPath() })
    )._unsafeUnwrap();
    expect(docker.source).toBe('default-socket');
  });

  it('says every place it looked when it finds nothing', async () => {
    const configDir = join(scratch, 'cfg-broken');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: 'missing' }));
    const result = await connectDocker(
      isolated({ DOCKER_CONFIG: configDir, XDG_RUNTIME_DIR: join(scratch, 'xdg') }),
    );
    const error = result._unsafeUnwrapErr();
    if (!hasKind(error, 'DockerUnreachable')) throw new Error(`unexpected ${error.kind}`);
    const sources = error.attempts.map((a) => a.source);
    expect(sources).toEqual(
      expect.arrayContaining([
        'options',
        'DOCKER_HOST',
        'DOCKER_CONTEXT',
        'config-context',
        'desktop-socket',
        'default-socket',
      ]),
    );
    expect(error.attempts.every((a) => a.outcome === 'skipped' && a.reason.length > 0)).toBe(true);
    expect(error.attempts.find((a) => a.source === 'config-context')?.reason).toContain(
      '"missing"',
    );
    for (const attempt of error.attempts) expect(error.message).toContain(attempt.reason);
  });

  it('refuses a malformed host and a nonsense timeout with typed errors', async () => {
    const bad = await connectDocker({ host: 'ftp://127.0.0.1:1', ...isolated() });
    expect(bad._unsafeUnwrapErr()).toMatchObject({
      kind: 'DockerUnreachable',
      message: expect.stringContaining('ftp:'),
    });
    const timeout = await connectDocker({ timeoutMs: 0, ...isolated() });
    expect(timeout._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'timeoutMs' });
  });

  it('stops when the caller aborts', async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const controller = new AbortController();
    const pending = connectDocker({
      host: `tcp://127.0.0.1:${silent.port}`,
      timeoutMs: 60_000,
      signal: controller.signal,
      ...isolated(),
    });
    controller.abort();
    const error = (await pending)._unsafeUnwrapErr();
    expect(error.kind).toBe('DockerUnreachable');
    expect(error.message).toContain('aborted');
  });
});

describe('findDockerEndpoint', () => {
  it('names the place connectDocker then connects to, for each kind of source', async () => {
    const configDir = join(scratch, 'cfg-find');
    await writeContext(configDir, 'find-ctx', serviceEnv().dockerHost);
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: 'find-ctx' }));
    const cases = [
      { ...isolated(), host: serviceEnv().dockerHost },
      isolated({ DOCKER_HOST: serviceEnv().dockerHost }),
      isolated({ DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'find-ctx' }),
      isolated({ DOCKER_CONFIG: configDir }),
      { ...isolated(), defaultSocketPath: socketPath() },
    ];
    const sources: string[] = [];
    for (const options of cases) {
      const found = findDockerEndpoint(options);
      const docker = (await connectDocker(options))._unsafeUnwrap();
      expect(found, JSON.stringify(options.env)).toEqual({
        endpoint: docker.endpoint,
        source: docker.source,
        ...(docker.context !== undefined && { context: docker.context }),
        tls: docker.tls,
        authoritative: docker.source !== 'default-socket',
      });
      sources.push(docker.source);
    }
    expect(sources).toEqual([
      'options',
      'DOCKER_HOST',
      'DOCKER_CONTEXT',
      'config-context',
      'default-socket',
    ]);
  });

  it('is undefined where connectDocker finds no place at all, and names a configured one that is down', () => {
    expect(findDockerEndpoint(isolated({ XDG_RUNTIME_DIR: join(scratch, 'xdg') }))).toBeUndefined();
    const gone = `unix://${join(scratch, 'gone.sock')}`;
    expect(findDockerEndpoint(isolated({ DOCKER_HOST: gone }))).toEqual({
      endpoint: gone,
      source: 'DOCKER_HOST',
      tls: false,
      authoritative: true,
    });
  });
});
