import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function tryListen(port: number): Promise<number | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const got = address && typeof address === 'object' ? address.port : undefined;
      server.close(() => resolve(got));
    });
  });
}

/** Two free consecutive loopback ports: `[port, port + 1]` (a proxy and its upstream). */
export async function freePortPair(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryListen(0);
    if (port !== undefined && port < 65535 && (await tryListen(port + 1)) !== undefined)
      return [port, port + 1];
  }
  throw new Error('no two consecutive free ports on 127.0.0.1');
}

/** A self-signed certificate for 127.0.0.1 (CA:TRUE, so it is its own trust anchor). */
export async function selfSignedCertificate(): Promise<{ certificate: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cert-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      certificate: await readFile(join(dir, 'cert.pem'), 'utf8'),
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
