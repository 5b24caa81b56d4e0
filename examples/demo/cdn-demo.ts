// The CDN demo, berth's main job end to end on this machine:
//
//   demo repository ──► etcd key ──► watchAndPull ──► www-content (/etc/nginx, /www) ◄── nginx :8080
//
// It creates a site repository and serves it over git smart HTTP itself, creates the data
// container, runs nginx with --volumes-from on 127.0.0.1, starts the watcher, then makes three
// commits and announces each through etcd, printing how long each took to be served.
// `npm run demo` starts the services first. `--once` verifies the three updates and exits.
//
// BERTH_DEMO_PORT (8080), BERTH_DEMO_NGINX_IMAGE (berth-test/nginx:1, built by scripts/services;
// `nginx` works where Docker Hub is reachable), BERTH_DEMO_NAME (www-content), BERTH_DEMO_KEY,
// ETCDCTL_ENDPOINTS (127.0.0.1:2379), BERTH_TEST_RUN (labels everything for a test's sweep).
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import {
  announceRevision,
  connectDocker,
  connectEtcd,
  containerTarget,
  createDataContainer,
  nginxConfigCheck,
  nginxReload,
  openGitSource,
  publishCommit,
  removeDataContainer,
  runServiceContainer,
  watchAndPull,
  type ContentTarget,
  type ServiceContainer,
  type WatchHandle,
} from '@berth/core';
import { startGitHttpServer, type GitHttpServer } from './git-server.ts';
import { createDemoRepository, type DemoRepository } from './demo-repo.ts';

const once = process.argv.includes('--once');
const port = Number(process.env.BERTH_DEMO_PORT ?? 8080);
const image = process.env.BERTH_DEMO_NGINX_IMAGE ?? 'berth-test/nginx:1';
const name = process.env.BERTH_DEMO_NAME ?? 'www-content';
const key = process.env.BERTH_DEMO_KEY ?? `berth/demo/${name}`;
const labels: Record<string, string> = process.env.BERTH_TEST_RUN
  ? { 'io.berth.test-run': process.env.BERTH_TEST_RUN }
  : {};
const say = (line: string) => process.stdout.write(`${line}\n`);

function must<T>(
  result: { isErr(): boolean; value?: T; error?: { kind: string; message: string } },
  what: string,
): T {
  if (result.isErr()) throw new Error(`${what}: ${result.error?.kind}: ${result.error?.message}`);
  return result.value as T;
}

/** Polls the page until it shows `marker`: the time from announcement to serving, in ms. */
async function servedAfter(started: number, marker: string, timeoutMs = 60_000): Promise<number> {
  while (performance.now() - started < timeoutMs) {
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      if (body.includes(marker)) return performance.now() - started;
    } catch {
      // nginx reloading: ask again.
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`"${marker}" was not served within ${timeoutMs} ms`);
}

/** Undone in reverse order at the end, whatever happened; a failed step is reported, not fatal. */
const cleanups: Array<() => unknown> = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) {
    try {
      const outcome = (await step()) as
        { isErr?: () => boolean; error?: { message: string } } | undefined;
      if (outcome?.isErr?.()) say(`cleanup: ${outcome.error?.message ?? 'failed'}`);
    } catch (error) {
      say(`cleanup: ${String(error)}`);
    }
  }
}

async function main(): Promise<number> {
  const docker = must(await connectDocker(), 'connect to Docker');
  const etcd = must(await connectEtcd(), 'connect to etcd');
  cleanups.push(() => etcd.close());
  say(
    `Docker ${docker.engineVersion} at ${docker.endpoint}; etcd ${etcd.serverVersion} at ${etcd.endpoints.join(', ')}`,
  );

  const repo: DemoRepository = await createDemoRepository(port);
  cleanups.push(() => repo.remove());
  const git: GitHttpServer = await startGitHttpServer(repo.root);
  cleanups.push(() => git.close());
  const url = `${git.url}/${repo.name}`;
  say(`site repository served over git smart HTTP at ${url}`);

  const data = must(
    await createDataContainer(docker, {
      name,
      image,
      volumes: ['/etc/nginx', '/www'],
      labels,
      pull: 'missing',
    }),
    'create the data container',
  );
  cleanups.push(() => removeDataContainer(docker, name, { volumes: true, force: true }));
  say(`data container ${data.name} (${data.created ? 'created' : 'already there'})`);

  // The git cache lives in a folder of the demo's own, removed at the end with everything else.
  const cacheParent = await mkdtemp(join(tmpdir(), 'berth-demo-cache-'));
  cleanups.push(() => rm(cacheParent, { recursive: true, force: true }));
  const source = must(
    openGitSource({ url, cacheDir: join(cacheParent, 'git') }),
    'open the repository',
  );
  const config: ContentTarget = containerTarget(docker, {
    container: name,
    path: '/etc/nginx',
    labels,
  });
  const site: ContentTarget = containerTarget(docker, { container: name, path: '/www', labels });
  cleanups.push(
    () => config.close(),
    () => site.close(),
  );
  // nginx starts from a configuration: publish the first commit before it runs.
  must(
    await publishCommit({
      source,
      commit: repo.first,
      target: config,
      subdir: 'nginx/',
      mountPath: '/etc/nginx',
    }),
    'publish the configuration',
  );
  must(
    await publishCommit({
      source,
      commit: repo.first,
      target: site,
      subdir: 'site/',
      mountPath: '/www',
    }),
    'publish the site',
  );

  const nginx: ServiceContainer = must(
    await runServiceContainer(docker, {
      name: `${name}-nginx`,
      image,
      command: ['nginx', '-g', 'daemon off;', '-c', '/etc/nginx/current/nginx.conf'],
      volumesFrom: [name],
      network: 'host',
      labels,
      pull: 'missing',
      readiness: { http: `http://127.0.0.1:${port}/`, timeoutMs: 30_000 },
    }),
    'run nginx',
  );
  cleanups.push(() => nginx.remove());
  say(`nginx serves http://127.0.0.1:${port}/ from ${name} (--volumes-from)`);

  // The announcement goes when the demo does (berth has no call to withdraw one: etcd3's own).
  cleanups.push(async () => {
    const client = new Etcd3({ hosts: [...etcd.endpoints] });
    try {
      await client.delete().key(key);
    } finally {
      client.close();
    }
  });
  must(
    await announceRevision(etcd, key, { commit: repo.first, by: 'demo' }),
    'announce the first commit',
  );
  const hooks = { docker, container: nginx.id };
  const watcher: WatchHandle = must(
    watchAndPull({
      etcd,
      key,
      source,
      nodeId: `${hostname()}-demo`,
      targets: [
        {
          target: config,
          subdir: 'nginx/',
          role: 'configuration',
          mountPath: '/etc/nginx',
          beforeActivate: nginxConfigCheck(hooks),
          afterActivate: nginxReload(hooks),
        },
        { target: site, subdir: 'site/', mountPath: '/www' },
      ],
    }),
    'start the watcher',
  );
  cleanups.push(() => watcher.stop());
  must(await watcher.ready, 'the first sync');
  say(`watching etcd key ${key}`);

  const times: number[] = [];
  for (let i = 2; i <= 4; i++) {
    const commit = await repo.commit(i);
    const started = performance.now();
    must(await announceRevision(etcd, key, { commit, by: 'demo' }), `announce version ${i}`);
    const ms = await servedAfter(started, `version ${i}</h1>`);
    times.push(ms);
    say(`commit ${commit.slice(0, 12)} (version ${i}) announced → served in ${ms.toFixed(0)} ms`);
  }
  say(`all three updates served; propagation ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')}`);
  // With --once nginx is removed right after this line: point at it only while it serves.
  if (once) return 0;
  say(`open http://127.0.0.1:${port}/ — Ctrl-C stops the demo and removes what it created.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return 0;
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
await cleanUp();
if (code === 0) say(`removed the containers, the etcd key ${key} and the git cache`);
process.exit(code);
