// The seed's CDN node, whole: an etcd key, a watcher publishing over the Docker API alone into a
// data container's /etc/nginx and /www, nginx serving them, checked and reloaded by the hooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContainer } from '../containers/service-container';
import { openGitSource, type GitSource } from '../git/source';
import { nginxConfigCheck, nginxReload } from '../content/nginx-hooks';
import type { ContentTarget } from '../content/target';
import { LABEL_TEST_RUN, removeRunResources, useTestDocker } from '../../../../test/support/docker';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import { nginxConf, provisionCdnNode } from '../../../../test/support/cdn-node';
import {
  forgetKeys,
  ofType,
  recordEvents,
  uniqueKey,
  until,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { watchAndPull } from './watch-and-pull';
import type { WatchEvent, WatchHandle } from './watch-types';
import { freePort } from '../../../../test/support/net';
import { createServer, type Server } from 'node:net';

const t = useTestDocker();
const fixtures = useGitFixtures();

describe('a watcher feeding nginx through a data container', () => {
  let port: number;
  let etcd: EtcdConnection;
  let source: GitSource;
  let nginx: ServiceContainer;
  let config: ContentTarget;
  let www: ContentTarget;
  let handle: WatchHandle;
  let events: WatchEvent[];
  const key = uniqueKey('nginx');
  const commits: Record<'a' | 'b' | 'broken' | 'c' | 'd', string> = {
    a: '',
    b: '',
    broken: '',
    c: '',
    d: '',
  };
  let busyPort: number;
  const fileLabels = () => ({ [LABEL_TEST_RUN]: `${t.runId}-file` });

  beforeAll(async () => {
    port = await freePort();
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    const repo = await fixtures.repo('cdn-watch');
    const commit = (conf: string, page: string) =>
      commitFiles(repo, { 'nginx/nginx.conf': conf, 'site/index.html': page });
    commits.a = await commit(nginxConf(port, 'a'), 'A\n');
    commits.b = await commit(nginxConf(port, 'b'), 'B\n');
    commits.broken = await commit('events {}\nhttp { server { listen nonsense; } }\n', 'never\n');
    commits.c = await commit(nginxConf(port, 'c'), 'C\n');
    // nginx -t accepts a second listener on a port someone else holds; the reload cannot bind it.
    busyPort = await freePort();
    commits.d = await commit(
      nginxConf(port, 'd').replace(
        `listen 127.0.0.1:${port};`,
        `listen 127.0.0.1:${port};\n    listen 127.0.0.1:${busyPort};`,
      ),
      'D\n',
    );
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-watch-nginx'),
    })._unsafeUnwrap();
    // nginx cannot start without a configuration: the node is provisioned with commit a first.
    ({ config, www, nginx } = await provisionCdnNode(t, {
      source,
      commit: commits.a,
      port,
      labels: fileLabels(),
    }));
    (await announceRevision(etcd, key, { commit: commits.a }))._unsafeUnwrap();
    const hooks = { docker: t.docker, container: nginx.id, timeoutMs: 3_000 };
    handle = watchAndPull({
      etcd,
      key,
      nodeId: 'nginx-node',
      source,
      retry: { initialMs: 100, maxMs: 400 },
      targets: [
        { target: www, subdir: 'site/', mountPath: '/www' },
        {
          target: config,
          subdir: 'nginx/',
          role: 'configuration',
          mountPath: '/etc/nginx',
          beforeActivate: nginxConfigCheck(hooks),
          afterActivate: nginxReload(hooks),
        },
      ],
    })._unsafeUnwrap();
    events = recordEvents(handle);
    (await handle.ready)._unsafeUnwrap();
  }, 120_000);

  afterAll(async () => {
    await handle?.stop();
    (await config?.close())?._unsafeUnwrap();
    (await www?.close())?._unsafeUnwrap();
    await removeRunResources(t.docker, `${t.runId}-file`);
    if (etcd) await forgetKeys(etcd);
    etcd?.close();
  });

  const get = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/index.html`);
    return { config: response.headers.get('x-config'), body: await response.text() };
  };

  it('serves the commit it was provisioned with, unchanged by the first sync', async () => {
    expect(ofType(events, 'synced')[0]).toMatchObject({ commit: commits.a, unchanged: true });
    expect(handle.status()).toMatchObject({ commit: commits.a, healthy: true });
    expect(await get()).toEqual({ config: 'a', body: 'A\n' });
  });

  it('serves a new announcement over HTTP: configuration checked, swapped and reloaded, then the site', async () => {
    (await announceRevision(etcd, key, { commit: commits.b }))._unsafeUnwrap();
    await until('synced b', () => handle.status().commit === commits.b, 30_000);
    expect(await get()).toEqual({ config: 'b', body: 'B\n' });
    const synced = ofType(events, 'synced').at(-1);
    expect(synced?.targets.map((x) => x.target)).toEqual([config.description, www.description]);
  });

  it('keeps serving when nginx -t refuses a configuration, and takes the next good one', async () => {
    (await announceRevision(etcd, key, { commit: commits.broken }))._unsafeUnwrap();
    await until(
      'refused',
      () => ofType(events, 'failed').some((e) => e.announcement.commit === commits.broken),
      30_000,
    );
    expect(ofType(events, 'failed').at(-1)?.error).toMatchObject({
      kind: 'NginxConfigInvalid',
      commit: commits.broken,
    });
    expect(handle.status()).toMatchObject({ commit: commits.b, healthy: false });
    expect(await get()).toEqual({ config: 'b', body: 'B\n' });

    (await announceRevision(etcd, key, { commit: commits.c }))._unsafeUnwrap();
    await until('synced c', () => handle.status().commit === commits.c, 30_000);
    expect(await get()).toEqual({ config: 'c', body: 'C\n' });
    expect(handle.status().healthy).toBe(true);
  });

  it('stays unhealthy while the nginx reload fails, retries only the reload, and serves once it works', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(busyPort, '127.0.0.1', resolve));
    const before = events.length;
    try {
      (await announceRevision(etcd, key, { commit: commits.d }))._unsafeUnwrap();
      await until(
        'two failed reloads',
        () => ofType(events.slice(before), 'hook-failed').length >= 2,
        60_000,
      );
      expect(ofType(events.slice(before), 'hook-failed')[0]).toMatchObject({
        hook: 'afterActivate',
        target: config.description,
        commit: commits.d,
        error: { kind: 'HookFailed' },
      });
      expect(handle.status()).toMatchObject({
        commit: commits.d,
        healthy: false,
        pendingHook: { target: config.description, commit: commits.d },
      });
      // nginx kept its old configuration: it is not serving d's.
      expect((await get()).config).toBe('c');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    await until('the reload went through', () => handle.status().healthy, 60_000);
    expect(await get()).toEqual({ config: 'd', body: 'D\n' });
    expect(ofType(events.slice(before), 'synced')).toHaveLength(1);
    expect(ofType(events.slice(before), 'hook-recovered')).toMatchObject([
      { target: config.description, commit: commits.d },
    ]);
  });
});
