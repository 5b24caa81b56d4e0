// docs/operations.md's "A fresh node, from nothing" and the README's quick start, run as written:
// the fenced block between the markers goes to bash with only the placeholders swapped for the real services
// (git URL, key, names, image, ports), on an engine where none of its containers exist yet.
import { execFile, spawn } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, listNodeStatuses, type EtcdConnection } from '../packages/core/src/index';
import { nginxConf } from './support/cdn-node';
import { commitFiles, useGitFixtures } from './support/git';
import { freePort } from './support/net';
import { serviceEnv } from './support/services';
import { forgetKeys, uniqueKey, until } from './support/watch-fixtures';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const fixtures = useGitFixtures();

/** The shell lines between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, fences dropped. */
export async function docBlock(file: string, name: string): Promise<string> {
  const text = await readFile(join(root, file), 'utf8');
  const begin = text.indexOf(`<!-- ${name}:begin -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  if (begin < 0 || end < begin) throw new Error(`${file} has no ${name} block`);
  const fenced = /```sh\n([\s\S]*?)```/.exec(text.slice(begin, end));
  if (!fenced?.[1]) throw new Error(`${file}: the ${name} block has no sh fence`);
  return fenced[1];
}

/** Processes still in a process group (none once every one of them exited). */
async function groupMembers(pgid: number): Promise<string[]> {
  const { stdout } = await run('ps', ['-o', 'pid=,stat=', '-g', String(pgid)]).catch(() => ({
    stdout: '',
  }));
  // A zombie has exited already (PID 1 here reaps slowly).
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/\sZ/.test(l));
}

describe.each([
  ['docs/operations.md', 'fresh-node'],
  ['README.md', 'quick-start'],
])('%s, block %s: a fresh node from nothing', (file, block) => {
  let etcd: EtcdConnection;
  const suffix = `${block}-${Date.now().toString(36)}${process.pid}`;
  const data = `berth-doc-content-${suffix}`;
  const nginx = `berth-doc-nginx-${suffix}`;
  let pgid: number | undefined;

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  });
  afterAll(async () => {
    if (pgid !== undefined) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const name of [nginx, `${data}-berth-helper`, data])
      await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
    if (etcd) await forgetKeys(etcd);
    etcd?.close();
  });

  it('runs the section literally: nginx serves the announced commit, and SIGTERM stops the watcher', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const repo = await fixtures.repo(`operations-doc-${block}`);
    const commit = await commitFiles(repo, {
      'nginx/nginx.conf': nginxConf(port, 'fresh'),
      'site/index.html': 'from nothing\n',
    });
    const key = uniqueKey(`operations-doc-${block}`);
    for (const name of [nginx, data])
      await expect(run('docker', ['inspect', name])).rejects.toThrow();

    const script = (await docBlock(file, block))
      .replaceAll('https://git.example.com/site.git', repo.url)
      .replaceAll('cdn/site', key)
      .replaceAll('www-content', data)
      .replaceAll('--nginx www ', `--nginx ${nginx} `)
      .replaceAll('--name www ', `--name ${nginx} `)
      .replaceAll('--image nginx ', `--image ${serviceEnv().imageNginx} `)
      .replace(/(--volumes-from \S+) nginx /, `$1 ${serviceEnv().imageNginx} `)
      .replaceAll('127.0.0.1:9100', `127.0.0.1:${httpPort}`);
    expect(script).not.toContain('example.com');

    const bin = await fixtures.dir('berth-doc-bin');
    await writeFile(
      join(bin, 'berth'),
      `#!/bin/sh\nexec ${process.execPath} ${join(root, 'packages/cli/bin/berth.js')} "$@"\n`,
    );
    await chmod(join(bin, 'berth'), 0o755);

    const shell = spawn('bash', ['-e', '-c', script], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        GIT_COMMIT: commit,
        ETCDCTL_ENDPOINTS: serviceEnv().etcdEndpoint,
      },
    });
    pgid = shell.pid;
    const output: string[] = [];
    shell.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const code = await new Promise<number | null>((resolve) => shell.once('exit', resolve));
    expect(code, output.join('')).toBe(0);

    // Whether the watcher looked before or after the data container was made depends on timing
    // (test/cli-watch.test.ts makes it wait for certain); nginx was not running at its publish.
    expect(output.join('')).toContain('"event":"nginx-absent"');
    let served = '';
    await until(
      'nginx serves the announced commit',
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/index.html`).catch(() => undefined);
        served = response?.ok ? await response.text() : '';
        return served === 'from nothing\n';
      },
      30_000,
    );
    expect(served).toBe('from nothing\n');
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ commit, healthy: true });
    const [status] = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
    expect(status).toMatchObject({ commit, ok: true, state: 'active' });

    // One SIGTERM to the watcher left running in the background stops it.
    const group = shell.pid ?? 0;
    expect((await groupMembers(group)).length).toBeGreaterThan(0);
    process.kill(-group, 'SIGTERM');
    await until('the watcher exited', async () => (await groupMembers(group)).length === 0);
    expect((await listNodeStatuses(etcd, key))._unsafeUnwrap()).toEqual([]);
    pgid = undefined;
  });
});
