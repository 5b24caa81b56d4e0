// The seed's CDN node for real: one repository feeding /etc/nginx and /www of a data container,
// nginx serving `root /www/current;` through --volumes-from, publishing over the Docker API alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import { clientOf } from '../docker/connection';
import type { ServiceContainer } from '../containers/service-container';
import { LABEL_TEST_RUN, removeRunResources, useTestDocker } from '../../../../test/support/docker';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { nginxConf, provisionCdnNode } from '../../../../test/support/cdn-node';
import { openGitSource, type GitSource } from '../git/source';
import { nginxConfigCheck, nginxReload } from './nginx-hooks';
import { publishCommit } from './publish';
import type { ContentTarget } from './target';
import { freePort } from '../../../../test/support/net';

const t = useTestDocker();
const fixtures = useGitFixtures();

/** A page big enough to take several reads, so a half-swapped tree would show. */
const page = (version: string) => `<h1>${version}</h1>\n${`${version} `.repeat(20_000)}\n`;

describe('publishing into a data container served by nginx', () => {
  let port: number;
  let source: GitSource;
  let nginx: ServiceContainer;
  let config: ContentTarget;
  let www: ContentTarget;
  const commits: Record<string, string> = {};
  const fileLabels = () => ({ [LABEL_TEST_RUN]: `${t.runId}-file` });

  beforeAll(async () => {
    port = await freePort();
    const repo = await fixtures.repo('cdn');
    commits.a = await commitFiles(
      repo,
      { 'nginx/nginx.conf': nginxConf(port, 'a'), 'site/index.html': page('A') },
      { message: 'a' },
    );
    commits.b = await commitFiles(
      repo,
      { 'nginx/nginx.conf': nginxConf(port, 'b'), 'site/index.html': page('B') },
      { message: 'b' },
    );
    commits.broken = await commitFiles(
      repo,
      {
        'nginx/nginx.conf': 'events {}\nhttp { server { listen nonsense; } }\n',
        'site/index.html': 'never\n',
      },
      { message: 'broken' },
    );
    source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-cdn-cache'),
    })._unsafeUnwrap();

    ({ config, www, nginx } = await provisionCdnNode(t, {
      source,
      commit: commits.a,
      port,
      labels: fileLabels(),
    }));
  });

  afterAll(async () => {
    // Removing the labelled containers below takes the helper with it, whatever these answer.
    void (await config?.close());
    void (await www?.close());
    await removeRunResources(t.docker, `${t.runId}-file`);
  });

  const get = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/index.html`);
    return {
      status: response.status,
      config: response.headers.get('x-config'),
      body: await response.text(),
    };
  };

  /** Configuration first (checked by nginx -t, then reloaded), then the site. */
  const deploy = async (commit: string) => {
    const hooks = { docker: t.docker, container: nginx.id };
    const conf = await publishCommit({
      source,
      commit,
      target: config,
      subdir: 'nginx/',
      mountPath: '/etc/nginx',
      beforeActivate: nginxConfigCheck(hooks),
      afterActivate: nginxReload(hooks),
    });
    if (conf.isErr()) return conf;
    return publishCommit({ source, commit, target: www, subdir: 'site/', mountPath: '/www' });
  };

  it('serves the first commit', async () => {
    expect(await get()).toEqual({ status: 200, config: 'a', body: page('A') });
  });

  it('checks the configuration, swaps it, confirms the reload, then swaps the site', async () => {
    (await deploy(commits.b ?? ''))._unsafeUnwrap();
    // The reload hook returned only once old workers were gone: the new configuration answers.
    expect(await get()).toEqual({ status: 200, config: 'b', body: page('B') });
  });

  it('refuses a configuration nginx -t rejects, with nginx’s own message, and keeps serving', async () => {
    const error = (await deploy(commits.broken ?? ''))._unsafeUnwrapErr();
    if (!hasKind(error, 'NginxConfigInvalid'))
      throw new Error(`expected NginxConfigInvalid, got ${error.kind}: ${error.message}`);
    expect(error.commit).toBe(commits.broken);
    expect(error.output).toMatch(/\[emerg\].*"listen" directive/);
    expect((await config.state({ fresh: true }))._unsafeUnwrap().active).toBe(commits.b);
    expect((await www.state({ fresh: true }))._unsafeUnwrap().active).toBe(commits.b);
    expect(await get()).toEqual({ status: 200, config: 'b', body: page('B') });
  });

  it.each(['stopped', 'paused'] as const)(
    'checks the configuration with nginx %s too (a throwaway container of its image, its mounts), and refuses a bad one',
    async (how) => {
      const engine = clientOf(t.docker).getContainer(nginx.id);
      const check = (commit: string) =>
        publishCommit({
          source,
          commit,
          target: config,
          subdir: 'nginx/',
          mountPath: '/etc/nginx',
          beforeActivate: nginxConfigCheck({ docker: t.docker, container: nginx.id }),
        });
      const before = (await config.state({ fresh: true }))._unsafeUnwrap().active;
      if (how === 'stopped') await engine.stop({ t: 5 });
      else await engine.pause();
      try {
        // nginx reads current/ when it runs again: a bad configuration must not become it.
        const error = (await check(commits.broken ?? ''))._unsafeUnwrapErr();
        expect(error).toMatchObject({ kind: 'NginxConfigInvalid', commit: commits.broken });
        expect((error as { output?: string }).output).toMatch(/\[emerg\].*"listen" directive/);
        expect((await config.state({ fresh: true }))._unsafeUnwrap().active).toBe(before);
        const other = before === commits.a ? commits.b : commits.a;
        (await check(other ?? ''))._unsafeUnwrap();
        expect((await config.state({ fresh: true }))._unsafeUnwrap().active).toBe(other);
        // The throwaway containers are gone.
        const left = await clientOf(t.docker).listContainers({
          all: true,
          filters: JSON.stringify({ label: ['io.berth.check-for'] }),
        });
        expect(left).toEqual([]);
      } finally {
        if (how === 'stopped') await engine.start();
        else await engine.unpause();
      }
      await expect
        .poll(async () => (await get().catch(() => ({ status: 0 }))).status, {
          timeout: 20_000,
          interval: 50,
        })
        .toBe(200);
    },
  );

  it('never serves a half-written or missing tree while publishing 100 times under load', async () => {
    const bodies = new Set([page('A'), page('B')]);
    let stop = false;
    let requests = 0;
    const failures: string[] = [];
    const client = async () => {
      while (!stop) {
        try {
          const { status, body } = await get();
          requests++;
          if (status !== 200) failures.push(`status ${status}`);
          else if (!bodies.has(body))
            failures.push(`unexpected body of ${body.length} bytes: ${body.slice(0, 20)}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = [client(), client()];
    try {
      for (let i = 0; i < 100; i++) {
        const commit = i % 2 === 0 ? commits.a : commits.b;
        (
          await publishCommit({
            source,
            commit: commit ?? '',
            target: www,
            subdir: 'site/',
            mountPath: '/www',
          })
        )._unsafeUnwrap();
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(100);
    expect((await www.state({ fresh: true }))._unsafeUnwrap().active).toBe(commits.b);
  }, 240_000);
});
