// `berth publish` (the built bin) into real data containers: from a repository on the git
// server, incrementally, from a private repository with the password on stdin, and with nginx
// checking and reloading its configuration around the swap.
import { describe, expect, it } from 'vitest';
import { binFixtures, exec } from '../packages/cli/test/bin-fixtures';
import { berth, jsonOf } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures } from './support/git';
import { serviceEnv } from './support/services';
import { freePort } from './support/net';

const t = useTestDocker();
const fixtures = useGitFixtures();
const env = () => serviceEnv();
const { createData, label, served } = binFixtures(t);

/** Polls until `check` passes or `ms` have gone by. */
async function eventually(check: () => Promise<void>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('berth publish', () => {
  it('publishes a commit into a data container, then only what changed, and leaves no helper behind', async () => {
    const repo = await fixtures.repo('cli-publish');
    const first = await commitFiles(repo, {
      'site/index.html': 'one\n',
      'site/about.html': 'about\n',
      README: 'x\n',
    });
    const name = t.name('cli-publish');
    await createData(name);
    const publish = (extra: string[] = []) =>
      berth([
        ...['publish', '--repo', repo.url, '--ref', 'main', '--container', name, '--path', '/www'],
        ...['--subdir', 'site/', ...label(), ...extra],
      ]);

    const published = await publish(['--json']);
    expect(published.code).toBe(0);
    // The first publish has no previous release: the field is there, null.
    expect(jsonOf(published)).toMatchObject({
      target: `container ${name}:/www`,
      commit: first,
      previous: null,
      unchanged: false,
      changed: { added: expect.arrayContaining(['about.html', 'index.html']), deleted: [] },
    });
    expect(await served(name, 'index.html')).toBe('one\n');

    const second = await commitFiles(repo, { 'site/index.html': 'two\n', 'site/about.html': null });
    const update = await publish(['--keep', '2']);
    expect(update.code).toBe(0);
    expect(update.stdout).toContain(`published ${second} into container ${name}:/www`);
    expect(update.stdout).toContain('0 added, 1 modified, 1 deleted');
    expect(update.stdout).toContain(`previous release: ${first}`);
    expect(await served(name, 'index.html')).toBe('two\n');

    const again = await publish(['--json']);
    expect(jsonOf(again)).toMatchObject({ commit: second, unchanged: true, bytesSent: 0 });
    expect(jsonOf(again).previous).toEqual(expect.any(String));

    const { stdout: helpers } = await exec('docker', [
      ...['ps', '-aq', '--filter', `name=${name}-berth-helper`],
    ]);
    expect(helpers.trim()).toBe('');
    // The helper went only after the work it does after answering (pruning, under the volume's
    // lock): no lock is left for the next writer to wait 30 s on, nothing under its host name.
    const { stdout: berthDir } = await exec('docker', [
      ...['run', '--rm', '--network', 'none', '--volumes-from', name, ...label()],
      ...[
        serviceEnv().imageBusybox,
        'sh',
        '-c',
        'cd /www/.berth && ls -A . staging trash 2>/dev/null || :',
      ],
    ]);
    expect(berthDir.split('\n')).not.toContain('lock');
    expect(berthDir.split('\n').filter((e) => e.includes('~'))).toEqual([]);
  });

  it('exits 3 naming a ref the repository does not have', async () => {
    const repo = await fixtures.repo('cli-publish-missing');
    await commitFiles(repo, { 'index.html': 'x\n' });
    const name = t.name('cli-publish');
    await createData(name);
    const result = await berth([
      ...['publish', '--repo', repo.url, '--ref', 'no-such-branch'],
      ...['--container', name, '--path', '/www', '--json'],
    ]);
    expect(result.code).toBe(3);
    expect(jsonOf(result)).toMatchObject({
      error: { kind: 'UnknownRevision', revision: 'no-such-branch' },
    });
  });

  it('fetches a private repository with the password from stdin, and fails without it', async () => {
    const repo = await fixtures.repo('cli-publish-private', { private: true });
    const sha = await commitFiles(repo, { 'index.html': 'private\n' });
    const name = t.name('cli-publish');
    await createData(name);
    const args = ['publish', '--repo', repo.url, '--container', name, '--path', '/www', ...label()];

    const anonymous = await berth([...args, '--json'], {
      env: { BERTH_GIT_USER: undefined, BERTH_GIT_PASSWORD: undefined },
    });
    expect(anonymous.code).toBe(3);
    expect(jsonOf(anonymous)).toMatchObject({ error: { kind: 'GitAuth' } });

    const withPassword = await berth([...args, '--git-user', env().gitUser, '--password-stdin'], {
      input: `${env().gitPassword}\n`,
    });
    expect(withPassword.code).toBe(0);
    expect(withPassword.stdout).toContain(`published ${sha}`);
    expect(await served(name, 'index.html')).toBe('private\n');
  });

  it('checks the configuration with nginx -t before the swap and reloads nginx after it', async () => {
    const port = await freePort();
    const conf = (marker: string) =>
      [
        'worker_processes 1; error_log stderr; pid /tmp/nginx.pid;',
        'events { worker_connections 64; }',
        `http { access_log off; server { listen 127.0.0.1:${port}; root /www/current; add_header X-Config ${marker}; } }`,
        '',
      ].join('\n');
    const repo = await fixtures.repo('cli-publish-nginx');
    const a = await commitFiles(repo, { 'nginx/nginx.conf': conf('a'), 'site/index.html': 'A\n' });
    const broken = await commitFiles(repo, { 'nginx/nginx.conf': 'events {}\nhttp { listen; }\n' });
    const b = await commitFiles(repo, { 'nginx/nginx.conf': conf('b') });
    const data = t.name('cli-www');
    await createData(data, ['--volume', '/etc/nginx']);
    const publish = (ref: string, volume: string, subdir: string, extra: string[] = []) =>
      berth([
        ...['publish', '--repo', repo.url, '--ref', ref, '--container', data, '--path', volume],
        ...['--subdir', subdir, ...label(), ...extra],
      ]);
    // nginx cannot start before it has a configuration: the first publish has no hooks.
    expect((await publish(a, '/etc/nginx', 'nginx/')).code).toBe(0);
    expect((await publish(a, '/www', 'site/')).code).toBe(0);
    const nginx = t.name('cli-nginx');
    await exec('docker', [
      ...['run', '-d', '--name', nginx, '--network', 'host', '--volumes-from', data, ...label()],
      ...[env().imageNginx, 'nginx', '-g', 'daemon off;', '-c', '/etc/nginx/current/nginx.conf'],
    ]);
    const config = async () =>
      (await fetch(`http://127.0.0.1:${port}/index.html`)).headers.get('x-config');
    await eventually(async () => expect(await config()).toBe('a'));

    const refused = await publish(broken, '/etc/nginx', 'nginx/', ['--nginx', nginx, '--json']);
    expect(refused.code).toBe(3);
    expect(jsonOf(refused)).toMatchObject({
      error: { kind: 'NginxConfigInvalid', commit: broken },
    });
    expect(await config()).toBe('a');

    const reloaded = await publish(b, '/etc/nginx', 'nginx/', ['--nginx', nginx]);
    expect(reloaded.code).toBe(0);
    await eventually(async () => expect(await config()).toBe('b'), 2_000);
  });
});
