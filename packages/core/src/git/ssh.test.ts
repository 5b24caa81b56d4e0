import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { hostKeyLine, sshEnv, sshUrl } from '../../../../test/support/git-ssh';
import { openTestSource } from '../../../../test/support/git-source';
import { startTcpProxy } from '../../../../test/support/tcp-proxy';
import type { GitSshCredentials } from './ssh-auth';

const run = promisify(execFile);
const fixtures = useGitFixtures();
const env = sshEnv();
const withKeys =
  (...keys: GitSshCredentials['keys'] & object): (() => GitSshCredentials) =>
  () => ({ agent: false, keys });
const trusted = { knownHostsFiles: [env.knownHosts] };

/** Pack files in a cache: none means nothing was fetched. */
async function packsIn(cacheDir: string): Promise<string[]> {
  try {
    return (await readdir(join(cacheDir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack'));
  } catch {
    return [];
  }
}

async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile]);
  return stdout.split(' ')[1] ?? '';
}

/** A known_hosts file of the fixtures with `text` in it. */
async function knownHostsFile(text: string): Promise<string> {
  const file = join(await fixtures.dir('berth-known-hosts'), 'known_hosts');
  await writeFile(file, text);
  return file;
}

describe('git over ssh', () => {
  let repo: BareRepo;
  let first: string;
  let hostFingerprint: string;
  beforeAll(async () => {
    repo = await fixtures.repo('ssh');
    first = await commitFiles(repo, { 'index.html': 'over ssh\n', 'css/site.css': 'a{}\n' });
    const dir = await fixtures.dir('berth-host-key');
    await writeFile(join(dir, 'host.pub'), `${await hostKeyLine()}\n`);
    hostFingerprint = await fingerprintOf(join(dir, 'host.pub'));
  });

  it('fetches with an ed25519 key (OpenSSH format) from ssh:// with a port, then only the change', async () => {
    const source = await openTestSource(fixtures, {
      url: sshUrl(repo),
      sshAuth: withKeys({ path: env.key }),
      hostKeys: trusted,
    });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(first);
    const entries = (await source.listTree(first))._unsafeUnwrap();
    const index = entries.find((e) => e.path === 'index.html');
    expect((await source.readBlob(index!.oid))._unsafeUnwrap().toString()).toBe('over ssh\n');

    const second = await commitFiles(repo, { 'about.html': 'about\n' });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(second);
    const diff = (await source.diffTrees(first, second))._unsafeUnwrap();
    expect(JSON.stringify(diff)).toContain('about.html');
    expect(await packsIn(source.cacheDir)).toHaveLength(2);
  });

  it('tries several keys in order: an unauthorized one, then an ECDSA key in PEM format', async () => {
    const source = await openTestSource(fixtures, {
      url: sshUrl(repo),
      sshAuth: withKeys({ path: env.keyWrong }, { path: env.keyEcdsa }),
      hostKeys: trusted,
    });
    expect((await source.resolve(first))._unsafeUnwrap()).toBe(first);
  });

  it('refuses a wrong key as GitAuth, fetching nothing and naming no secret', async () => {
    const key = await readFile(env.keyWrong, 'utf8');
    const source = await openTestSource(fixtures, {
      url: sshUrl(repo),
      sshAuth: withKeys({ privateKey: key }),
      hostKeys: trusted,
    });
    const error = (await source.resolve('main'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'GitAuth' });
    const keyBody = key.split('\n')[1] ?? '';
    expect(JSON.stringify(error)).not.toContain(keyBody.slice(0, 20));
    expect(await packsIn(source.cacheDir)).toEqual([]);
  });

  describe('an RSA key with a passphrase', () => {
    it('works with the passphrase from the callback', async () => {
      const source = await openTestSource(fixtures, {
        url: sshUrl(repo),
        sshAuth: withKeys({ path: env.keyRsa, passphrase: env.passphrase }),
        hostKeys: trusted,
      });
      expect((await source.resolve(first))._unsafeUnwrap()).toBe(first);
    });

    it('works with the passphrase from BERTH_SSH_PASSPHRASE', async () => {
      process.env.BERTH_SSH_PASSPHRASE = env.passphrase;
      try {
        const source = await openTestSource(fixtures, {
          url: sshUrl(repo),
          sshAuth: withKeys({ path: env.keyRsa }),
          hostKeys: trusted,
        });
        expect((await source.resolve(first))._unsafeUnwrap()).toBe(first);
      } finally {
        delete process.env.BERTH_SSH_PASSPHRASE;
      }
    });

    it('is GitAuth without it or with a wrong one, the passphrase in no message', async () => {
      for (const passphrase of [undefined, 'not-the-passphrase']) {
        const source = await openTestSource(fixtures, {
          url: sshUrl(repo),
          sshAuth: withKeys({ path: env.keyRsa, ...(passphrase && { passphrase }) }),
          hostKeys: trusted,
        });
        const error = (await source.resolve(first))._unsafeUnwrapErr();
        expect(error).toMatchObject({ kind: 'GitAuth' });
        expect(error.message).toContain(env.keyRsa);
        expect(JSON.stringify(error)).not.toContain('not-the-passphrase');
      }
    });
  });

  describe('ssh-agent', () => {
    let agent: { pid: number; socket: string } | undefined;
    beforeAll(async () => {
      const socket = join(await fixtures.dir('berth-agent'), 'agent.sock');
      const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
      agent = { pid: child.pid!, socket };
      // Bounded wait for the socket: ssh-add fails until the agent listens.
      for (let attempt = 0; ; attempt++) {
        try {
          await run('ssh-add', [env.key], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
          break;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    });
    afterAll(() => {
      if (agent) process.kill(agent.pid);
    });

    it('logs in with a key held by the agent (SSH_AUTH_SOCK)', async () => {
      process.env.SSH_AUTH_SOCK = agent!.socket;
      try {
        const source = await openTestSource(fixtures, {
          url: sshUrl(repo),
          sshAuth: () => ({ keys: [] }),
          hostKeys: trusted,
        });
        expect((await source.resolve(first))._unsafeUnwrap()).toBe(first);
      } finally {
        delete process.env.SSH_AUTH_SOCK;
      }
    });
  });

  describe('host keys', () => {
    it('refuses an unknown host as GitHostUnknown naming its fingerprint, fetching nothing', async () => {
      const source = await openTestSource(fixtures, {
        url: sshUrl(repo),
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [await knownHostsFile('')] },
      });
      const error = (await source.resolve('main'))._unsafeUnwrapErr();
      expect(error).toMatchObject({
        kind: 'GitHostUnknown',
        host: `[127.0.0.1]:${env.port}`,
        fingerprint: hostFingerprint,
      });
      expect(error.message).toContain(hostFingerprint);
      expect(await packsIn(source.cacheDir)).toEqual([]);
    });

    it('refuses a changed key as GitHostKeyChanged, naming what it saw and what it knew', async () => {
      const other = (await readFile(`${env.keyWrong}.pub`, 'utf8')).split(' ');
      const file = await knownHostsFile(`[127.0.0.1]:${env.port} ${other[0]} ${other[1]}\n`);
      const source = await openTestSource(fixtures, {
        url: sshUrl(repo),
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [file] },
      });
      const error = (await source.resolve('main'))._unsafeUnwrapErr();
      expect(error).toMatchObject({
        kind: 'GitHostKeyChanged',
        fingerprint: hostFingerprint,
        expected: [await fingerprintOf(`${env.keyWrong}.pub`)],
      });
      expect(await packsIn(source.cacheDir)).toEqual([]);
    });

    it('trusts a pinned fingerprint, and an unknown host only when acceptNew opts in', async () => {
      const pinned = await openTestSource(fixtures, {
        url: sshUrl(repo),
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [], fingerprints: [hostFingerprint] },
      });
      expect((await pinned.resolve(first))._unsafeUnwrap()).toBe(first);

      const file = await knownHostsFile('');
      const tofu = await openTestSource(fixtures, {
        url: sshUrl(repo),
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [file], acceptNew: true },
      });
      expect((await tofu.resolve(first))._unsafeUnwrap()).toBe(first);
      expect(await readFile(file, 'utf8')).toBe(`[127.0.0.1]:${env.port} ${await hostKeyLine()}\n`);
    });
  });

  it("fetches from git's scp-like form (port 22), trusting a hashed known_hosts entry", async () => {
    // scp-like URLs have no port: a loopback proxy on 22 in front of the service's port.
    const proxy = await startTcpProxy(env.port, 22);
    try {
      const dir = await fixtures.dir('berth-hashed');
      const file = join(dir, 'known_hosts');
      await writeFile(file, `127.0.0.1 ${await hostKeyLine()}\n`);
      await run('ssh-keygen', ['-H', '-f', file]);
      expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/);
      const source = await openTestSource(fixtures, {
        url: `${env.user}@127.0.0.1:${repo.name}.git`,
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [file] },
      });
      expect((await source.resolve('main'))._unsafeUnwrap()).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      await proxy.close();
    }
  });

  it('reports a repository the server does not have as GitFetch not-a-repository', async () => {
    const source = await openTestSource(fixtures, {
      url: `ssh://${env.user}@127.0.0.1:${env.port}/no-such-repo.git`,
      sshAuth: withKeys({ path: env.key }),
      hostKeys: trusted,
    });
    expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitFetch',
      reason: 'not-a-repository',
    });
  });
});

/** Forwards to the ssh service and resets both sides once `limit` bytes came back. */
async function cuttingProxy(limit: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: env.port });
    sockets.add(client).add(upstream);
    let seen = 0;
    const drop = () => {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) drop();
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('ssh connections kept between fetches', () => {
  it('reuses one connection for the next fetch, and opens a new one once the server dropped it', async () => {
    const repo = await fixtures.repo('ssh-pool');
    await commitFiles(repo, { 'index.html': 'one\n' });
    const proxy = await startTcpProxy(env.port);
    let accepted = 0;
    const counting = createServer((client) => {
      accepted++;
      const upstream = createConnection({ host: '127.0.0.1', port: proxy.port });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy());
      upstream.on('error', () => client.destroy()).on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    const address = counting.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      const source = await openTestSource(fixtures, {
        url: sshUrl(repo, address.port),
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [], fingerprints: [await pinnedFingerprint()] },
      });
      expect((await source.resolve('main'))._unsafeUnwrap()).toMatch(/^[0-9a-f]{40}$/);
      const second = await commitFiles(repo, { 'index.html': 'two\n' });
      expect((await source.resolve('main'))._unsafeUnwrap()).toBe(second);
      expect(accepted).toBe(1);

      await proxy.cut();
      await proxy.restore();
      const third = await commitFiles(repo, { 'index.html': 'three\n' });
      expect((await source.resolve('main'))._unsafeUnwrap()).toBe(third);
      expect(accepted).toBe(2);
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => counting.close(() => resolve()));
    }
  });
});

describe('git over ssh when the server goes away or stays silent', () => {
  it('reports a connection lost mid-pack as GitFetch unreachable, and the next fetch works', async () => {
    const repo = await fixtures.repo('ssh-cut');
    const tip = await commitFiles(repo, { 'big.bin': randomBytes(3 * 1024 * 1024) });
    const proxy = await cuttingProxy(512 * 1024);
    const cacheDir = await fixtures.dir('berth-ssh-cut');
    try {
      const cut = await openTestSource(fixtures, {
        url: sshUrl(repo, proxy.port),
        cacheDir,
        sshAuth: withKeys({ path: env.key }),
        hostKeys: { knownHostsFiles: [], fingerprints: [await pinnedFingerprint()] },
      });
      expect((await cut.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitFetch',
        reason: 'unreachable',
      });
    } finally {
      await proxy.close();
    }
    const whole = await openTestSource(fixtures, {
      url: sshUrl(repo),
      cacheDir,
      sshAuth: withKeys({ path: env.key }),
      hostKeys: trusted,
    });
    expect((await whole.resolve('main'))._unsafeUnwrap()).toBe(tip);
  });

  it('gives up on a server that never answers after timeoutMs, as GitFetch timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      const source = await openTestSource(fixtures, {
        url: `ssh://${env.user}@127.0.0.1:${address.port}/repo.git`,
        sshAuth: withKeys({ path: env.key }),
        hostKeys: trusted,
        timeoutMs: 1_500,
      });
      expect((await source.resolve('main'))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitFetch',
        reason: 'timeout',
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

async function pinnedFingerprint(): Promise<string> {
  const dir = await fixtures.dir('berth-pin');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'host.pub'), `${await hostKeyLine()}\n`);
  return fingerprintOf(join(dir, 'host.pub'));
}
