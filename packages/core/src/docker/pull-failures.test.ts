// pullImage against a registry that misbehaves on purpose: a small in-process implementation of
// the registry API on 127.0.0.1 (dockerd treats loopback registries as insecure, so plain http
// works), serving one real image whose layer is corrupted, stalls, or whose manifest fails.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestDocker } from '../../../../test/support/docker';
import { clientOf } from './connection';
import { pullImage, type PullProgressEvent } from './pull';

const run = promisify(execFile);
const t = useTestDocker();

const sha256 = (data: Buffer | string) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

interface Blob {
  readonly digest: string;
  readonly body: Buffer;
}
interface FakeImage {
  readonly manifest: string;
  readonly manifestDigest: string;
  readonly config: Blob;
  readonly layer: Blob;
}

/** One image with a single 2 MiB layer of random bytes: a real gzip'd tar, real digests. */
async function makeImage(dir: string, arch: string): Promise<FakeImage> {
  await writeFile(join(dir, 'blob'), randomBytes(2 * 1024 * 1024));
  const { stdout: tar } = await run('tar', ['-C', dir, '-cf', '-', 'blob'], {
    encoding: 'buffer',
    maxBuffer: 16 * 1024 * 1024,
  });
  const layerBody = gzipSync(tar, { level: 1 });
  const configBody = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'berth pull-failures test' }],
    }),
  );
  const config = { digest: sha256(configBody), body: configBody };
  const layer = { digest: sha256(layerBody), body: layerBody };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: config.body.length,
      digest: config.digest,
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.body.length,
        digest: layer.digest,
      },
    ],
  });
  return { manifest, manifestDigest: sha256(manifest), config, layer };
}

/**
 * Repositories: `fake/corrupt` serves the layer with its bytes changed (same length);
 * `fake/stall` sends the first MiB of the layer and then nothing; `fake/broken` answers 500
 * for the manifest. Any other name is a registry 404.
 */
async function fakeRegistry(image: FakeImage): Promise<{ host: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    res.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
    const url = req.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    const match = /^\/v2\/fake\/(corrupt|stall|broken)\/(manifests|blobs)\/([^/?]+)$/.exec(url);
    const [, repo, kind, ref] = match ?? [];
    if (!repo) {
      res
        .writeHead(404, { 'Content-Type': 'application/json' })
        .end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}');
      return;
    }
    if (kind === 'manifests') {
      if (repo === 'broken') {
        res
          .writeHead(500, { 'Content-Type': 'application/json' })
          .end('{"errors":[{"code":"UNKNOWN","message":"storage is on fire"}]}');
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        'Docker-Content-Digest': image.manifestDigest,
        'Content-Length': Buffer.byteLength(image.manifest),
      });
      res.end(req.method === 'HEAD' ? undefined : image.manifest);
      return;
    }
    const blob = [image.config, image.layer].find((b) => b.digest === ref);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': blob.digest,
      'Content-Length': blob.body.length,
    });
    if (req.method === 'HEAD') {
      res.end();
    } else if (blob === image.layer && repo === 'corrupt') {
      const changed = Buffer.from(blob.body);
      for (let i = 1024; i < changed.length; i += 4096) changed[i] = (changed[i] ?? 0) ^ 0xff;
      res.end(changed);
    } else if (blob === image.layer && repo === 'stall') {
      stalled.add(res);
      res.write(blob.body.subarray(0, 1024 * 1024));
    } else {
      res.end(blob.body);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake registry has no port');
  return {
    host: `127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let scratch: string;
let registry: Awaited<ReturnType<typeof fakeRegistry>>;
const touched = new Set<string>();
const ref = (repo: 'corrupt' | 'stall' | 'broken') => {
  const name = `${registry.host}/fake/${repo}:1`;
  touched.add(name);
  return name;
};

async function hasImage(name: string): Promise<boolean> {
  return clientOf(t.docker)
    .getImage(name)
    .inspect()
    .then(
      () => true,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return false;
        throw error;
      },
    );
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-pull-failures-'));
  registry = await fakeRegistry(await makeImage(scratch, t.docker.arch || 'amd64'));
});

afterEach(async () => {
  for (const name of touched) {
    await clientOf(t.docker)
      .getImage(name)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
  touched.clear();
});

afterAll(async () => {
  await registry?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('pullImage when the registry misbehaves', () => {
  it('fails with ImagePullFailed when a layer breaks mid-stream, after progress was reported', async () => {
    const events: PullProgressEvent[] = [];
    const result = await pullImage(t.docker, ref('corrupt'), {
      credentials: 'none',
      timeoutMs: 60_000,
      onProgress: (e) => events.push(e),
    });
    // The daemon reports this in the stream, with HTTP 200 already sent: dockerode's
    // followProgress would have called it a success.
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'ImagePullFailed',
      image: ref('corrupt'),
      message: expect.stringContaining('verification failed'),
    });
    expect(events.some((e) => e.layer !== undefined)).toBe(true);
    expect(await hasImage(ref('corrupt'))).toBe(false);
  });

  it('aborts during a layer download: Aborted, and the engine keeps no image', async () => {
    const controller = new AbortController();
    let abortedAt: PullProgressEvent | undefined;
    const result = await pullImage(t.docker, ref('stall'), {
      credentials: 'none',
      signal: controller.signal,
      // A bound for the test only: the layer never finishes, so only the abort can end this.
      timeoutMs: 30_000,
      onProgress: (e) => {
        if (e.status === 'Downloading' && (e.current ?? 0) > 0 && !abortedAt) {
          abortedAt = e;
          controller.abort();
        }
      },
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
    expect(abortedAt).toMatchObject({ layer: expect.any(String), total: expect.any(Number) });
    expect(await hasImage(ref('stall'))).toBe(false);
  });

  it('stops the pull and rejects with what onProgress threw', async () => {
    const thrown = new Error('progress display failed');
    const pending = pullImage(t.docker, ref('stall'), {
      credentials: 'none',
      timeoutMs: 30_000,
      onProgress: () => {
        throw thrown;
      },
    });
    await expect(Promise.resolve(pending)).rejects.toBe(thrown);
    expect(await hasImage(ref('stall'))).toBe(false);
  });

  it('gives up with Timeout when timeoutMs runs out', async () => {
    const started = Date.now();
    const result = await pullImage(t.docker, ref('stall'), {
      credentials: 'none',
      timeoutMs: 1_000,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Timeout', timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('reports a registry that fails the manifest as ImagePullFailed, not as an auth problem', async () => {
    const result = await pullImage(t.docker, ref('broken'), { credentials: 'none' });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'ImagePullFailed',
      message: expect.stringContaining('500'),
    });
  });
});
