// The built `berth` run as a user runs it: a child process per command, against the real engine,
// registries and git server. `npm run build` first. Whatever a test creates carries its run label.
import { describe, expect, it } from 'vitest';
import { binFixtures } from '../packages/cli/test/bin-fixtures';
import { berth, jsonOf } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';
import { serviceEnv } from './support/services';

const t = useTestDocker();
const env = () => serviceEnv();
const { createData, label } = binFixtures(t);

describe('berth data-container', () => {
  it('creates, finds the same one again, refuses another spec, and removes it with its volumes', async () => {
    const name = t.name('cli-data');
    const created = await createData(name, ['--volume', '/etc/nginx', '--json']);
    expect(created.code).toBe(0);
    const container = jsonOf(created);
    expect(container).toMatchObject({
      name,
      image: env().imageBusybox,
      created: true,
      volumes: [{ path: '/etc/nginx' }, { path: '/www' }],
    });

    const again = await createData(name, ['--volume', '/etc/nginx']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `${name} (${String(container.id).slice(0, 12)}) is already there`,
    );

    const other = await createData(name, ['--json']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(
      /^Conflict: .*\n.*volumes: existing \[\/etc\/nginx, \/www\], wanted \[\/www\]/,
    );
    expect(other.stderr).toContain('hint: --replace recreates it');
    expect(jsonOf(other)).toMatchObject({ error: { kind: 'Conflict', name } });

    const removed = await berth(['data-container', 'rm', name, '--volumes', '--json']);
    expect(removed.code).toBe(0);
    expect(jsonOf(removed)).toMatchObject({ name, removedVolumes: expect.any(Array) });
    expect((jsonOf(removed).removedVolumes as unknown[]).length).toBe(2);

    const gone = await berth(['data-container', 'rm', name]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe(`NotFound: no container named ${name}\n`);
  });
});

describe('berth name', () => {
  it('prints the names of real containers from id prefixes, in order, with or without the slash', async () => {
    const names = [t.name('cli-name'), t.name('cli-name')];
    const ids = await Promise.all(
      names.map(async (name) => String(jsonOf(await createData(name, ['--json'])).id)),
    );
    const refs = [ids[1]!.slice(0, 12), ids[0]!, names[1]!];

    const plain = await berth(['name', ...refs]);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(plain.stdout).toBe(`${names[1]}\n${names[0]}\n${names[1]}\n`);

    const slashed = await berth(['name', '--leading-slash', refs[0]!]);
    expect(slashed.stdout).toBe(`/${names[1]}\n`);

    const json = await berth(['name', ...refs, '--json']);
    expect(jsonOf(json)).toEqual({
      names: refs.map((ref, i) => ({ ref, name: [names[1], names[0], names[1]][i] })),
    });
  });

  it('exits 3 for a reference that matches nothing, and still answers the others', async () => {
    const name = t.name('cli-name');
    await createData(name);
    const unknown = `no-such-container-${t.runId}`;
    const result = await berth(['name', name, unknown, '--json']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`NotFound: no such container: ${unknown}\n`);
    expect(jsonOf(result)).toEqual({
      names: [
        { ref: name, name },
        {
          ref: unknown,
          error: {
            kind: 'NotFound',
            message: `no such container: ${unknown}`,
            resource: 'container',
            ref: unknown,
          },
        },
      ],
      error: {
        kind: 'NotFound',
        message: `no such container: ${unknown}`,
        resource: 'container',
        ref: unknown,
      },
    });
  });
});

describe('berth probe registry', () => {
  it('exits 1 for the open registry: anyone can push', async () => {
    const result = await berth(['probe', 'registry', env().registry, '--json']);
    expect(result.code).toBe(1);
    expect(jsonOf(result)).toMatchObject({
      facts: {
        reachable: true,
        auth: { type: 'none' },
        push: { access: 'allowed', cleanup: 'cancelled' },
      },
      failOn: 'critical',
      failing: ['registry.anonymous-push'],
    });
    const human = await berth(['probe', 'registry', env().registry, '--fail-on', 'none']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/critical\s+registry\.anonymous-push/);
  });

  it('exits 0 for the Basic-auth registry over TLS, the password read from stdin', async () => {
    const result = await berth(
      [
        'probe',
        'registry',
        env().authRegistryTls,
        '--ca',
        env().registryCa,
        '--user',
        env().registryUser,
        '--password-stdin',
        '--json',
      ],
      { input: `${env().registryPassword}\n` },
    );
    expect(result.code).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      facts: {
        tls: 'verified',
        auth: { type: 'basic' },
        push: { access: 'denied' },
        credentials: 'accepted',
      },
      findings: [],
      failing: [],
    });
  });

  it('says a wrong password was rejected', async () => {
    const result = await berth(
      [
        'probe',
        'registry',
        env().authRegistryTls,
        '--ca',
        env().registryCa,
        '--json',
        '--fail-on',
        'warn',
      ],
      { env: { BERTH_REGISTRY_USER: env().registryUser, BERTH_REGISTRY_PASSWORD: 'wrong' } },
    );
    expect(jsonOf(result)).toMatchObject({ facts: { credentials: 'rejected' } });
    expect(jsonOf(result).failing).toContain('registry.credentials-rejected');
    // Refused credentials fail the check whatever --fail-on says (exit 3, not the findings' 1).
    expect(jsonOf(result).error).toMatchObject({ kind: 'CredentialsRejected' });
    expect(result.code).toBe(3);
  });
});

describe('berth probe storage and berth audit', () => {
  it('judges the engine storage driver', async () => {
    const result = await berth([
      'probe',
      'storage',
      '--helper-image',
      env().imageBusybox,
      ...label(),
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      facts: { driver: 'overlay2', kernelFilesystems: expect.arrayContaining(['overlay']) },
      recommendation: { driver: 'overlay2' },
      failOn: 'critical',
      failing: [],
    });
  });

  it('lists what a local image carries, and fails on it only when asked', async () => {
    const result = await berth(['audit', env().imageNginx, ...label()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/package-manager\s+apt\/dpkg \(busybox applet\)\s+\/bin\/dpkg/);
    const strict = await berth([
      'audit',
      env().imageNginx,
      ...label(),
      '--fail-on',
      'info',
      '--json',
    ]);
    expect(strict.code).toBe(1);
    expect(jsonOf(strict)).toMatchObject({
      image: env().imageNginx,
      failing: expect.arrayContaining(['image.package-manager-present']),
    });
  });

  it('exits 3 for an image the engine does not have', async () => {
    const result = await berth(['audit', `berth-test/no-such-image:${t.runId}`, '--json']);
    expect(result.code).toBe(3);
    expect(jsonOf(result)).toMatchObject({ error: { kind: 'NotFound', resource: 'image' } });
  });
});

describe('the command line itself', () => {
  it('exits 2 on usage errors, with one JSON document when --json asks', async () => {
    const unknown = await berth([
      'data-container',
      'create',
      'x',
      '--image',
      'busybox',
      '--volume',
      '/www',
      '--no-such-flag',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--no-such-flag'");
    const json = await berth(['deploy', '--key', 'k', '--json']);
    expect(json.code).toBe(2);
    expect(jsonOf(json)).toEqual({
      error: { kind: 'Usage', message: "required option '--commit <sha>' not specified" },
    });
  });

  it('exits 3 with kind: message when the engine is not there', async () => {
    const result = await berth(['name', 'web'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^DockerUnreachable: no Docker engine answered/);
    expect(result.stdout).toBe('');
  });

  it('exits 3, not 2, for a malformed DOCKER_HOST or --docker-host, naming what was wrong', async () => {
    const fromEnv = await berth(['name', 'web'], { env: { DOCKER_HOST: 'tcp://' } });
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr).toMatch(/^DockerUnreachable: /);
    expect(fromEnv.stderr).toContain('DOCKER_HOST (tcp://): failed, "tcp://" names no host');
    const fromFlag = await berth(['name', 'web', '--docker-host', 'foo://x', '--json']);
    expect(fromFlag.code).toBe(3);
    expect(jsonOf(fromFlag)).toMatchObject({ error: { kind: 'DockerUnreachable' } });
    expect(String((jsonOf(fromFlag).error as { message: string }).message)).toContain(
      'scheme foo: is not supported',
    );
  });
});
