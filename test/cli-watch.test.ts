// `berth watch` as a process, as an operator runs it: health over HTTP, SIGHUP, SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, listNodeStatuses, type EtcdConnection } from '../packages/core/src/index';
import { etcdClientOf } from '../packages/core/src/coordination/etcd';
import { commitFiles, useGitFixtures, type BareRepo } from './support/git';
import { serviceEnv } from './support/services';
import { freePort } from './support/net';

const root = join(import.meta.dirname, '..');
const fixtures = useGitFixtures();

/** Polls until `check` holds, at most `timeoutMs`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('berth watch', () => {
  let etcd: EtcdConnection;
  let repo: BareRepo;
  let daemon: ChildProcess | undefined;
  const key = `berth-test/cli-watch/${Date.now().toString(36)}`;

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    repo = await fixtures.repo('cli-watch');
  });
  afterAll(async () => {
    daemon?.kill('SIGKILL');
    if (etcd) await etcdClientOf(etcd).delete().key(key);
    etcd?.close();
  });

  it('serves health once published, syncs on SIGHUP, and stops cleanly on SIGTERM, releasing its status', async () => {
    const first = await commitFiles(repo, { 'site/index.html': 'one\n' });
    // The key names a ref (a plain value), so only a new resolve (SIGHUP) finds the next commit.
    await etcdClientOf(etcd).put(key).value('main');
    const dir = await fixtures.dir('berth-cli-watch');
    const port = await freePort();
    const stderr: string[] = [];
    daemon = spawn(
      process.execPath,
      [
        join(root, 'packages/cli/bin/berth.js'),
        'watch',
        ...[
          '--key',
          key,
          '--repo',
          repo.url,
          '--node-id',
          'cli-node',
          '--target',
          `site/=dir:${dir}`,
        ],
        ...[
          '--http',
          `127.0.0.1:${port}`,
          '--etcd-endpoints',
          serviceEnv().etcdEndpoint,
          '--status-ttl',
          '5',
        ],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daemon.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      daemon?.once('exit', (code) => resolve(code)),
    );

    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: response.status, body: (await response.json()) as { commit?: string } };
    };
    const ok = await until('healthz 200', async () => {
      const h = await health();
      return h.status === 200 ? h : undefined;
    });
    expect(ok.body.commit).toBe(first);
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('one\n');
    expect((await listNodeStatuses(etcd, key))._unsafeUnwrap().map((s) => s.nodeId)).toEqual([
      'cli-node',
    ]);

    const second = await commitFiles(repo, { 'site/index.html': 'two\n' });
    daemon.kill('SIGHUP');
    await until('the SIGHUP sync', async () =>
      (await health()).body.commit === second ? true : undefined,
    );
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('two\n');

    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await listNodeStatuses(etcd, key))._unsafeUnwrap()).toEqual([]);
    expect(stderr.join('')).toContain('"msg":"stopped"');
    // Each event is logged once: one JSON record per event, whoever noticed it.
    const records = stderr
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event?: string; commit?: string; msg?: string });
    const synced = records.filter((r) => r.msg === 'synced' || r.event === 'synced');
    expect(synced.map((r) => r.commit)).toEqual([first, second]);
    expect(records.filter((r) => r.event === 'stopped')).toHaveLength(1);
    // A status write the stop cut short is the stop, not a failure to report.
    expect(records.filter((r) => r.event === 'status-failed')).toEqual([]);
    const byEvent = new Map<string, number>();
    for (const r of records.filter((r) => r.event !== undefined)) {
      const id = JSON.stringify([r.event, r.commit, (r as { revision?: number }).revision]);
      byEvent.set(id, (byEvent.get(id) ?? 0) + 1);
    }
    expect([...byEvent].filter(([, n]) => n > 1)).toEqual([]);
  });

  it('exits 3 at once, naming the address, when the --http port is taken, and starts no watcher', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    const busyKey = `${key}-busy`;
    try {
      await etcdClientOf(etcd).put(busyKey).value('main');
      const child = spawn(
        process.execPath,
        [
          join(root, 'packages/cli/bin/berth.js'),
          'watch',
          ...['--key', busyKey, '--repo', repo.url, '--node-id', 'busy-node'],
          ...['--target', `site/=dir:${await fixtures.dir('berth-cli-busy')}`],
          ...['--http', `127.0.0.1:${port}`, '--etcd-endpoints', serviceEnv().etcdEndpoint],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const stderr: string[] = [];
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      // Bounded: a daemon that kept running without its endpoint would never get here.
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`still running: ${stderr.join('')}`));
        }, 30_000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code).toBe(3);
      expect(stderr.join('')).toContain(`ListenFailed: cannot serve --http on 127.0.0.1:${port}`);
      expect(stderr.join('')).toContain('EADDRINUSE');
      expect((await listNodeStatuses(etcd, busyKey))._unsafeUnwrap()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      await etcdClientOf(etcd).delete().key(busyKey);
    }
  });

  it('waits for a data container that does not exist yet, publishes once it does, and a first SIGTERM stops a waiting node', async () => {
    const run = promisify(execFile);
    const suffix = `${Date.now().toString(36)}${process.pid}`;
    const data = `berth-cli-wait-${suffix}`;
    const waitKey = `${key}-wait`;
    const commit = await commitFiles(repo, { 'site/index.html': 'waited\n' });
    await etcdClientOf(etcd).put(waitKey).value(commit);
    const start = (nodeId: string, container: string, port: number) => {
      const child = spawn(
        process.execPath,
        [
          join(root, 'packages/cli/bin/berth.js'),
          'watch',
          ...['--key', waitKey, '--repo', repo.url, '--node-id', nodeId],
          ...['--target', `site/=container:${container}:/www`, '--status-ttl', '5'],
          ...['--http', `127.0.0.1:${port}`, '--etcd-endpoints', serviceEnv().etcdEndpoint],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { child, exited };
    };
    const healthz = async (port: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return {
        status: response.status,
        body: (await response.json()) as {
          commit?: string;
          healthy: boolean;
          waiting?: { container: string; message: string };
        },
      };
    };
    const waitingOn = (port: number, container: string) =>
      until(`waiting for ${container}`, async () => {
        const h = await healthz(port);
        return h.body.waiting?.container === container ? h : undefined;
      });
    const port = await freePort();
    const node = start('wait-node', data, port);
    const idle = await freePort();
    const other = start('idle-node', `${data}-never`, idle);
    try {
      const waiting = await waitingOn(port, data);
      expect(waiting.status).toBe(503);
      expect(waiting.body.healthy).toBe(false);
      expect(waiting.body.waiting?.message).toContain(`waiting for container ${data}`);
      await until('the status key says waiting', async () => {
        const statuses = (await listNodeStatuses(etcd, waitKey))._unsafeUnwrap();
        return statuses.find((s) => s.nodeId === 'wait-node')?.state === 'waiting'
          ? true
          : undefined;
      });

      // One SIGTERM stops a node that is waiting.
      await waitingOn(idle, `${data}-never`);
      other.child.kill('SIGTERM');
      expect(await other.exited).toBe(0);

      await run(process.execPath, [
        join(root, 'packages/cli/bin/berth.js'),
        'data-container',
        'create',
        data,
        ...['--image', serviceEnv().imageBusybox, '--volume', '/www'],
      ]);
      const served = await until('published once the container exists', async () => {
        const h = await healthz(port);
        return h.status === 200 ? h : undefined;
      });
      expect(served.body).toMatchObject({ commit, healthy: true });
      expect(served.body.waiting).toBeUndefined();
      const [status] = (await listNodeStatuses(etcd, waitKey))._unsafeUnwrap();
      expect(status).toMatchObject({ nodeId: 'wait-node', commit, state: 'active', ok: true });
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
    } finally {
      node.child.kill('SIGKILL');
      other.child.kill('SIGKILL');
      for (const name of [`${data}-berth-helper`, data])
        await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
      await etcdClientOf(etcd).delete().prefix(waitKey);
      await etcdClientOf(etcd).delete().prefix(`berth/status/${waitKey}/`);
    }
  });
});
