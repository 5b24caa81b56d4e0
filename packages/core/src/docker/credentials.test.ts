import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupRegistryCredentials } from './credentials';

let scratch: string;
let counter = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-credentials-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh Docker config directory holding `config` as its config.json. */
async function configDir(config?: unknown): Promise<string> {
  const dir = join(scratch, `cfg-${++counter}`);
  await mkdir(dir, { recursive: true });
  if (config !== undefined) {
    await writeFile(
      join(dir, 'config.json'),
      typeof config === 'string' ? config : JSON.stringify(config),
    );
  }
  return dir;
}

const basic = (user: string, password: string) =>
  Buffer.from(`${user}:${password}`).toString('base64');

/**
 * A real `docker-credential-<name>` program in its own directory, to put first on PATH. It
 * records the server URL it was given on stdin, then runs `body` with it in "$url".
 */
async function helper(name: string, body: string): Promise<{ path: string; stdinLog: string }> {
  const dir = join(scratch, `bin-${++counter}`);
  await mkdir(dir, { recursive: true });
  const stdinLog = join(dir, 'stdin.log');
  const script = join(dir, `docker-credential-${name}`);
  await writeFile(
    script,
    [
      '#!/bin/sh',
      '[ "$1" = get ] || { echo "unsupported action $1" >&2; exit 2; }',
      // The protocol sends the URL without a newline: read returns non-zero at EOF, keeps the value.
      'IFS= read -r url',
      `printf '%s' "$url" > '${stdinLog}'`,
      body,
      '',
    ].join('\n'),
  );
  await chmod(script, 0o755);
  return { path: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, stdinLog };
}

describe('lookupRegistryCredentials from auths', () => {
  it('finds nothing when there is no config.json', async () => {
    const dir = await configDir();
    const found = await lookupRegistryCredentials('127.0.0.1:5443', { dockerConfigDir: dir });
    expect(found._unsafeUnwrap()).toBeUndefined();
  });

  it('decodes a base64 auth entry, splitting at the first colon', async () => {
    const dir = await configDir({ auths: { '127.0.0.1:5443': { auth: basic('berth', 'pa:ss') } } });
    const found = await lookupRegistryCredentials('127.0.0.1:5443', { dockerConfigDir: dir });
    expect(found._unsafeUnwrap()).toEqual({ username: 'berth', password: 'pa:ss' });
  });

  it('reads username/password fields and an identity token', async () => {
    const dir = await configDir({
      auths: {
        'a.example:5000': { username: 'u', password: 'p' },
        'b.example': { identitytoken: 'refresh-token' },
      },
    });
    const a = await lookupRegistryCredentials('a.example:5000', { dockerConfigDir: dir });
    expect(a._unsafeUnwrap()).toEqual({ username: 'u', password: 'p' });
    const b = await lookupRegistryCredentials('b.example', { dockerConfigDir: dir });
    expect(b._unsafeUnwrap()).toEqual({ identityToken: 'refresh-token' });
  });

  it('treats an empty entry (what Docker Desktop leaves behind) as no credentials', async () => {
    const dir = await configDir({ auths: { '127.0.0.1:5443': {} } });
    const found = await lookupRegistryCredentials('127.0.0.1:5443', { dockerConfigDir: dir });
    expect(found._unsafeUnwrap()).toBeUndefined();
  });

  it('matches a host:port key written with a scheme or a path, preferring the exact key', async () => {
    const dir = await configDir({
      auths: {
        'https://127.0.0.1:5443/v2/': { auth: basic('with-scheme', 'x') },
        'http://other.example:5000': { auth: basic('other', 'y') },
      },
    });
    const loose = await lookupRegistryCredentials('127.0.0.1:5443', { dockerConfigDir: dir });
    expect(loose._unsafeUnwrap()).toEqual({ username: 'with-scheme', password: 'x' });

    const both = await configDir({
      auths: {
        'https://127.0.0.1:5443': { auth: basic('loose', 'x') },
        '127.0.0.1:5443': { auth: basic('exact', 'y') },
      },
    });
    const exact = await lookupRegistryCredentials('127.0.0.1:5443', { dockerConfigDir: both });
    expect(exact._unsafeUnwrap()).toEqual({ username: 'exact', password: 'y' });
    // A different port is a different registry.
    const none = await lookupRegistryCredentials('127.0.0.1:5000', { dockerConfigDir: both });
    expect(none._unsafeUnwrap()).toBeUndefined();
  });

  it('keeps Docker Hub under https://index.docker.io/v1/, whatever name the image used', async () => {
    const dir = await configDir({
      auths: { 'https://index.docker.io/v1/': { auth: basic('hub', 'h') } },
    });
    for (const registry of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      const found = await lookupRegistryCredentials(registry, { dockerConfigDir: dir });
      expect(found._unsafeUnwrap()).toEqual({ username: 'hub', password: 'h' });
    }
  });

  it('finds the config through DOCKER_CONFIG, then HOME, in the env it is given', async () => {
    const dir = await configDir({ auths: { 'r.example': { auth: basic('via-env', 'e') } } });
    const viaConfig = await lookupRegistryCredentials('r.example', {
      env: { DOCKER_CONFIG: dir },
    });
    expect(viaConfig._unsafeUnwrap()).toEqual({ username: 'via-env', password: 'e' });

    const home = join(scratch, `home-${++counter}`);
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'r.example': { auth: basic('via-home', 'h') } } }),
    );
    const viaHome = await lookupRegistryCredentials('r.example', { env: { HOME: home } });
    expect(viaHome._unsafeUnwrap()).toEqual({ username: 'via-home', password: 'h' });
  });

  it('refuses a config.json that is not JSON, or an auth that is not base64 user:password', async () => {
    const broken = await configDir('{ "auths": ');
    const notJson = await lookupRegistryCredentials('r.example', { dockerConfigDir: broken });
    expect(notJson._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'dockerConfigDir',
      message: expect.stringContaining('config.json'),
    });
    const badAuth = await configDir({ auths: { 'r.example': { auth: 'not base64!' } } });
    const notBase64 = await lookupRegistryCredentials('r.example', { dockerConfigDir: badAuth });
    expect(notBase64._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
    const noColon = await configDir({
      auths: { 'r.example': { auth: Buffer.from('nocolon').toString('base64') } },
    });
    const noUser = await lookupRegistryCredentials('r.example', { dockerConfigDir: noColon });
    expect(noUser._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
  });
});

describe('lookupRegistryCredentials through credential helpers', () => {
  it('asks the credHelpers entry for its registry, with the server URL on stdin', async () => {
    const bin = await helper(
      'berth-a',
      `printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$url"`,
    );
    const dir = await configDir({
      credHelpers: { '127.0.0.1:5443': 'berth-a' },
      credsStore: 'berth-absent',
      auths: { '127.0.0.1:5443': { auth: basic('from-auths', 'no') } },
    });
    const found = await lookupRegistryCredentials('127.0.0.1:5443', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    expect(found._unsafeUnwrap()).toEqual({ username: 'helper-user', password: 'helper-secret' });
    expect(await readFile(bin.stdinLog, 'utf8')).toBe('127.0.0.1:5443');
  });

  it('uses credsStore for registries without their own helper, Docker Hub by its v1 URL', async () => {
    const bin = await helper(
      'berth-store',
      `printf '{"ServerURL":"%s","Username":"store-user","Secret":"s"}' "$url"`,
    );
    const dir = await configDir({ credsStore: 'berth-store' });
    const found = await lookupRegistryCredentials('docker.io', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    expect(found._unsafeUnwrap()).toEqual({ username: 'store-user', password: 's' });
    expect(await readFile(bin.stdinLog, 'utf8')).toBe('https://index.docker.io/v1/');
  });

  it('turns a "<token>" user name into an identity token', async () => {
    const bin = await helper('berth-token', `printf '{"Username":"<token>","Secret":"tok"}'`);
    const dir = await configDir({ credsStore: 'berth-token' });
    const found = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    expect(found._unsafeUnwrap()).toEqual({ identityToken: 'tok' });
  });

  it('takes "credentials not found" as no credentials', async () => {
    const bin = await helper(
      'berth-empty',
      'echo "credentials not found in native keychain"; exit 1',
    );
    const dir = await configDir({ credsStore: 'berth-empty' });
    const found = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    expect(found._unsafeUnwrap()).toBeUndefined();
  });

  it('reports any other helper failure as CredentialHelper, with what it said', async () => {
    const bin = await helper('berth-locked', 'echo "keychain is locked" >&2; exit 3');
    const dir = await configDir({ credHelpers: { 'r.example': 'berth-locked' } });
    const found = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    expect(found._unsafeUnwrapErr()).toMatchObject({
      kind: 'CredentialHelper',
      helper: 'berth-locked',
      registry: 'r.example',
      message: expect.stringMatching(/exited with 3: keychain is locked/),
    });
  });

  it('reports an unreadable answer without repeating it (it may hold the secret)', async () => {
    const bin = await helper('berth-garbled', `printf 'Secret=hunter2'`);
    const dir = await configDir({ credsStore: 'berth-garbled' });
    const found = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
    });
    const error = found._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'CredentialHelper', helper: 'berth-garbled' });
    expect(error.message).not.toContain('hunter2');
  });

  it('reports a helper that is not on PATH, and refuses a helper name that is a path', async () => {
    const dir = await configDir({ credsStore: 'berth-nowhere' });
    const missing = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: join(scratch, 'empty-bin') },
    });
    expect(missing._unsafeUnwrapErr()).toMatchObject({
      kind: 'CredentialHelper',
      message: expect.stringContaining('docker-credential-berth-nowhere is not on PATH'),
    });
    const sneaky = await configDir({ credsStore: '../../bin/sh' });
    const refused = await lookupRegistryCredentials('r.example', { dockerConfigDir: sneaky });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: 'CredentialHelper' });
  });

  it('kills a helper that does not answer within helperTimeoutMs', async () => {
    // The background sleep holds the helper's stdout open after the helper is killed, as a
    // daemon a helper starts might; it ends by itself.
    const bin = await helper('berth-stuck', 'sleep 30 & exec sleep 60');
    const dir = await configDir({ credsStore: 'berth-stuck' });
    const started = Date.now();
    const found = await lookupRegistryCredentials('r.example', {
      dockerConfigDir: dir,
      env: { PATH: bin.path },
      helperTimeoutMs: 300,
    });
    expect(found._unsafeUnwrapErr()).toMatchObject({
      kind: 'CredentialHelper',
      message: expect.stringContaining('did not answer in time'),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a helper when the caller aborts, before or while it runs', async () => {
    const bin = await helper('berth-slow', 'exec sleep 60');
    const dir = await configDir({ credsStore: 'berth-slow' });
    const lookup = (signal: AbortSignal) =>
      lookupRegistryCredentials('r.example', {
        dockerConfigDir: dir,
        env: { PATH: bin.path },
        signal,
      });
    const early = new AbortController();
    const pendingEarly = lookup(early.signal);
    early.abort();
    expect((await pendingEarly)._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });

    // Abort once the helper has read its input, i.e. while it is running.
    const late = new AbortController();
    const pendingLate = lookup(late.signal);
    await waitForFile(bin.stdinLog, 10_000);
    late.abort();
    expect((await pendingLate)._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
  });
});

/** Polls for a file, for at most `limitMs`. */
async function waitForFile(path: string, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      await readFile(path);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${path} did not appear within ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
