import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../../test/support/services';
import { useTestDocker } from '../../../../test/support/docker';
import { clientOf } from './connection';
import { pullImage, type PullProgressEvent } from './pull';
import { followPullStream } from './pull-stream';

const t = useTestDocker();
const services = serviceEnv();
const goodCredentials = { username: services.registryUser, password: services.registryPassword };

/**
 * What beforeAll pushed: one image with a layer of its own, tagged with this run's id in one
 * shared repository (the registry API can delete a tag, not a repository name).
 */
interface Pushed {
  id: string;
  digest: string;
  /** `<open registry>/<repository>`, without a tag. */
  openRepository: string;
  open: string;
  auth: string;
  authHttp: string;
}
let pushed: Pushed;
let scratch: string;
/** Every reference a test may leave on the engine; removed after each test, pass or fail. */
const touched = new Set<string>();

const client = () => clientOf(t.docker);

async function removeImage(ref: string): Promise<void> {
  await client()
    .getImage(ref)
    .remove({ force: true })
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

async function hasImage(ref: string): Promise<boolean> {
  return client()
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return false;
        throw error;
      },
    );
}

/** Reads a push's JSON lines to the end (push streams like pull); returns the pushed digest. */
async function push(ref: string, auth?: typeof goodCredentials): Promise<string> {
  const colon = ref.lastIndexOf(':');
  const registry = ref.slice(0, ref.indexOf('/'));
  const stream = (await client()
    .getImage(ref.slice(0, colon))
    .push({
      tag: ref.slice(colon + 1),
      ...(auth && { authconfig: { ...auth, serveraddress: registry } }),
    })) as Readable;
  const statuses: string[] = [];
  const outcome = await followPullStream(stream, new AbortController().signal, (e) =>
    statuses.push(e.status),
  );
  if (outcome.kind !== 'finished') throw new Error(`push ${ref}: ${JSON.stringify(outcome)}`);
  const digest = statuses.map((s) => /digest: (sha256:[0-9a-f]{64})/.exec(s)?.[1]).find(Boolean);
  if (!digest) throw new Error(`push ${ref} reported no digest: ${statuses.join(' | ')}`);
  return digest;
}

/** An image with a 3 MB layer of random bytes on top of busybox: a layer no registry has yet. */
async function buildUniqueImage(): Promise<string> {
  const container = await client().createContainer({
    Image: services.imageBusybox,
    Cmd: ['sh', '-c', 'head -c 3000000 /dev/urandom > /blob'],
    Labels: t.labels,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`image build container exited ${StatusCode}`);
    const { Id } = (await container.commit({})) as { Id: string };
    return Id;
  } finally {
    await container.remove({ force: true });
  }
}

/** Deletes a manifest from a registry (both test registries allow deletes), best effort. */
async function deleteManifest(base: string, ref: string, digest: string, auth?: string) {
  const repository = ref.slice(ref.indexOf('/') + 1, ref.lastIndexOf(':'));
  await fetch(`${base}/v2/${repository}/manifests/${digest}`, {
    method: 'DELETE',
    ...(auth && { headers: { Authorization: `Basic ${auth}` } }),
  }).catch(() => undefined);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-pull-'));
  const id = await buildUniqueImage();
  const repository = 'berth-test-pull/site';
  const tag = t.runId;
  const openRepository = `${services.registry}/${repository}`;
  const authRepository = `${services.authRegistryTls}/${repository}`;
  const open = `${openRepository}:${tag}`;
  const auth = `${authRepository}:${tag}`;
  const authHttp = `${services.authRegistryHttp}/${repository}:${tag}`;
  try {
    await client().getImage(id).tag({ repo: openRepository, tag });
    await client().getImage(id).tag({ repo: authRepository, tag });
    const digest = await push(open);
    await push(auth, goodCredentials);
    pushed = { id, digest, openRepository, open, auth, authHttp };
  } finally {
    // Every test starts with none of it on the engine: a pull has to fetch the new layer.
    await removeImage(id);
  }
});

afterEach(async () => {
  for (const ref of touched) await removeImage(ref);
  touched.clear();
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  if (!pushed) return;
  await removeImage(pushed.id);
  await deleteManifest(`http://${services.registry}`, pushed.open, pushed.digest);
  const basic = Buffer.from(`${services.registryUser}:${services.registryPassword}`).toString(
    'base64',
  );
  await deleteManifest(
    `http://${services.authRegistryHttp}`,
    pushed.authHttp,
    pushed.digest,
    basic,
  );
});

describe('pullImage from the open registry', () => {
  it('reports layer progress and resolves once the image is on the engine', async () => {
    touched.add(pushed.open);
    const events: PullProgressEvent[] = [];
    const result = await pullImage(t.docker, pushed.open, {
      credentials: 'none',
      onProgress: (e) => events.push(e),
    });
    expect(result._unsafeUnwrap()).toEqual({
      ref: pushed.open,
      id: pushed.id,
      digest: pushed.digest,
    });
    expect(await hasImage(pushed.open)).toBe(true);
    // The new layer was fetched (busybox's may show as `Already exists`). The daemon hands a reader
    // only the latest progress of each layer, so `Downloading` lines may be folded away on a
    // fast pull; the last line of each layer and the lines it writes itself always arrive.
    // (Byte counts are proven where a download stalls: pull-failures.test.ts.)
    const layerLines = events.filter((e) => e.layer !== undefined);
    expect(layerLines.map((e) => e.status)).toEqual(
      expect.arrayContaining(['Pulling fs layer', 'Pull complete']),
    );
    for (const e of events.filter((l) => l.current !== undefined)) {
      expect(e).toMatchObject({ layer: expect.stringMatching(/^[0-9a-f]{12}$/) });
    }
    // It resolved after the daemon's last word, not when the stream started.
    expect(events.at(-1)?.status).toMatch(/^Status: Downloaded newer image/);
  });

  it('pulls by digest, and reports that digest', async () => {
    const byDigest = `${pushed.openRepository}@${pushed.digest}`;
    touched.add(byDigest);
    const result = await pullImage(t.docker, byDigest, { credentials: 'none' });
    expect(result._unsafeUnwrap()).toEqual({
      ref: byDigest,
      id: pushed.id,
      digest: pushed.digest,
    });
    expect(await hasImage(byDigest)).toBe(true);
  });

  it('reports a tag the registry does not have as NotFound', async () => {
    const missing = `${pushed.openRepository}:no-such-tag`;
    touched.add(missing);
    const result = await pullImage(t.docker, missing, { credentials: 'none' });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'NotFound',
      resource: 'image',
      ref: missing,
      message: expect.stringContaining('manifest unknown'),
    });
  });

  it('refuses a malformed reference before asking the engine', async () => {
    for (const ref of ['', 'UPPER/case:1', `${services.registry}/a:b:c`, 'a/b:']) {
      const result = await pullImage(t.docker, ref);
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'ref' });
    }
  });

  it('refuses malformed options before asking the engine', async () => {
    const badCredentials = await pullImage(t.docker, pushed.open, {
      credentials: { username: 'only-a-name' },
    });
    expect(badCredentials._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'credentials',
    });
    const badTimeout = await pullImage(t.docker, pushed.open, { timeoutMs: 0 });
    expect(badTimeout._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'timeoutMs',
    });
  });

  it('stops with Aborted when the signal fires mid-pull, and before it starts', async () => {
    touched.add(pushed.open);
    const controller = new AbortController();
    const events: PullProgressEvent[] = [];
    const result = await pullImage(t.docker, pushed.open, {
      credentials: 'none',
      signal: controller.signal,
      onProgress: (e) => {
        events.push(e);
        controller.abort();
      },
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
    expect(events).toHaveLength(1);

    const early = await pullImage(t.docker, pushed.open, { signal: AbortSignal.abort() });
    expect(early._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
  });
});

describe('pullImage from the Basic-auth registry', () => {
  it('pulls with explicit credentials', async () => {
    touched.add(pushed.auth);
    const result = await pullImage(t.docker, pushed.auth, { credentials: goodCredentials });
    expect(result._unsafeUnwrap()).toMatchObject({ ref: pushed.auth, id: pushed.id });
    expect(await hasImage(pushed.auth)).toBe(true);
  });

  it.each([
    ['https', () => pushed.auth],
    ['http', () => pushed.authHttp],
  ])('is refused with RegistryAuth without credentials (%s)', async (_scheme, refOf) => {
    const ref = refOf();
    touched.add(ref);
    const result = await pullImage(t.docker, ref, { credentials: 'none' });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'RegistryAuth',
      registry: ref.split('/')[0],
      image: ref,
      message: expect.stringContaining('no basic auth credentials'),
    });
    expect(await hasImage(ref)).toBe(false);
  });

  it.each([
    ['https', () => pushed.auth],
    ['http', () => pushed.authHttp],
  ])('is refused with RegistryAuth for a wrong password (%s)', async (_scheme, refOf) => {
    const ref = refOf();
    touched.add(ref);
    const result = await pullImage(t.docker, ref, {
      credentials: { username: services.registryUser, password: 'wrong' },
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'RegistryAuth',
      message: expect.stringContaining('unauthorized'),
    });
  });

  it('finds the credentials in a Docker config auths entry', async () => {
    touched.add(pushed.auth);
    const dir = join(scratch, 'config-auths');
    await mkdir(dir, { recursive: true });
    const auth = Buffer.from(`${services.registryUser}:${services.registryPassword}`).toString(
      'base64',
    );
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [`https://${services.authRegistryTls}`]: { auth } } }),
    );
    // Through DOCKER_CONFIG in the env it is given, as the CLI would find it.
    const result = await pullImage(t.docker, pushed.auth, { env: { DOCKER_CONFIG: dir } });
    expect(result._unsafeUnwrap()).toMatchObject({ id: pushed.id });
  });

  it('finds the credentials through a credential helper', async () => {
    touched.add(pushed.auth);
    const dir = join(scratch, 'config-helper');
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    const script = join(bin, 'docker-credential-berth-test');
    await writeFile(
      script,
      [
        '#!/bin/sh',
        '[ "$1" = get ] || exit 2',
        'IFS= read -r url',
        `[ "$url" = '${services.authRegistryTls}' ] || { echo "credentials not found in native keychain"; exit 1; }`,
        `printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$url" '${services.registryUser}' '${services.registryPassword}'`,
        '',
      ].join('\n'),
    );
    await chmod(script, 0o755);
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ credHelpers: { [services.authRegistryTls]: 'berth-test' } }),
    );
    const result = await pullImage(t.docker, pushed.auth, {
      dockerConfigDir: dir,
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    });
    expect(result._unsafeUnwrap()).toMatchObject({ id: pushed.id });
  });
});
