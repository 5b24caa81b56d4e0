// `berth watch` as a process, as an operator runs it: health over HTTP, SIGHUP, SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
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
  });
});
