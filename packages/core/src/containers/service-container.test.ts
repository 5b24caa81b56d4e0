import { describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import { clientOf } from '../docker/connection';
import { tarBuffer } from '../util/tar';
import { serviceEnv } from '../../../../test/support/services';
import { useTestDocker } from '../../../../test/support/docker';
import { createDataContainer } from './data-container';
import { runServiceContainer } from './service-container';
import { freePort } from '../../../../test/support/net';

const t = useTestDocker();

describe('runServiceContainer', () => {
  it('serves a data container’s content with nginx over --volumes-from on 127.0.0.1', async () => {
    const port = await freePort();
    const dataName = t.name('www-content');
    // Like the seed: the data container is made from the nginx image, so /etc/nginx starts with its config.
    const data = (
      await createDataContainer(t.docker, {
        name: dataName,
        image: serviceEnv().imageNginx,
        volumes: ['/etc/nginx', '/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const client = clientOf(t.docker);
    await client.getContainer(data.id).putArchive(
      tarBuffer([
        { path: 'conf.d', type: 'directory' },
        {
          path: 'conf.d/site.conf',
          type: 'file',
          content: `server { listen 127.0.0.1:${port}; root /www; location / { try_files $uri $uri/index.html =404; } }\n`,
        },
      ]),
      { path: '/etc/nginx' },
    );
    await client
      .getContainer(data.id)
      .putArchive(
        tarBuffer([
          { path: 'index.html', type: 'file', content: '<h1>hello from the data container</h1>\n' },
        ]),
        { path: '/www' },
      );

    const nginx = (
      await runServiceContainer(t.docker, {
        name: t.name('nginx'),
        image: serviceEnv().imageNginx,
        volumesFrom: [dataName],
        network: 'host',
        labels: t.labels,
        readiness: { http: `http://127.0.0.1:${port}/`, timeoutMs: 20_000 },
      })
    )._unsafeUnwrap();

    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<h1>hello from the data container</h1>\n');

    // exec sees the same volumes, with stdout, stderr and the exit code apart.
    expect((await nginx.exec(['cat', '/www/index.html']))._unsafeUnwrap()).toEqual({
      exitCode: 0,
      stdout: '<h1>hello from the data container</h1>\n',
      stderr: '',
    });
    expect(
      (await nginx.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']))._unsafeUnwrap(),
    ).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect((await nginx.exec(['nginx', '-t']))._unsafeUnwrap()).toMatchObject({
      exitCode: 0,
      stderr: expect.stringContaining('syntax is ok'),
    });
    expect((await nginx.exec(['cat'], { stdin: 'piped in' }))._unsafeUnwrap().stdout).toBe(
      'piped in',
    );

    // A reload by signal shows in the logs.
    (await nginx.signal('SIGHUP'))._unsafeUnwrap();
    const logs = (await nginx.logs({ tail: 200 }))._unsafeUnwrap();
    expect(logs.stdout + logs.stderr).toContain('GET / HTTP/1.1');

    (await nginx.stop({ timeoutSeconds: 5 }))._unsafeUnwrap();
    (await nginx.stop())._unsafeUnwrap();
    (await nginx.remove())._unsafeUnwrap();
    (await nginx.remove())._unsafeUnwrap();
    await expect(client.getContainer(nginx.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('waits for a log line', async () => {
    const service = (
      await runServiceContainer(t.docker, {
        name: t.name('logline'),
        image: serviceEnv().imageBusybox,
        command: ['sh', '-c', 'echo warming up; echo ready to serve; exec sleep 300'],
        network: 'none',
        labels: t.labels,
        readiness: { logLine: /^ready to serve$/, timeoutMs: 20_000 },
      })
    )._unsafeUnwrap();
    expect((await service.logs())._unsafeUnwrap().stdout).toBe('warming up\nready to serve\n');
  });

  it('reports a readiness timeout with the last log lines and removes the container', async () => {
    const name = t.name('never-ready');
    const port = await freePort();
    const error = (
      await runServiceContainer(t.docker, {
        name,
        image: serviceEnv().imageBusybox,
        command: ['sh', '-c', 'echo starting; echo still starting >&2; exec sleep 300'],
        network: 'host',
        labels: t.labels,
        readiness: { http: `http://127.0.0.1:${port}/`, timeoutMs: 1_500 },
      })
    )._unsafeUnwrapErr();
    if (!hasKind(error, 'ReadinessTimeout'))
      throw new Error(`expected ReadinessTimeout, got ${error.kind}: ${error.message}`);
    expect(error).toMatchObject({ container: name, timeoutMs: 1_500, removed: true });
    expect(error.lastLogs).toEqual(['starting', 'still starting']);
    await expect(clientOf(t.docker).getContainer(name).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('fails fast when the service exits before it is ready, and keeps it when asked', async () => {
    const name = t.name('crashes');
    const started = Date.now();
    const error = (
      await runServiceContainer(t.docker, {
        name,
        image: serviceEnv().imageBusybox,
        command: ['sh', '-c', 'echo boom; exit 4'],
        network: 'none',
        labels: t.labels,
        keepOnFailure: true,
        readiness: { logLine: /never printed/, timeoutMs: 60_000 },
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'ReadinessTimeout', removed: false, lastLogs: ['boom'] });
    expect(error.message).toContain('exited with code 4');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await clientOf(t.docker).getContainer(name).inspect()).State.ExitCode).toBe(4);
  });

  it('removes the container when it cannot start', async () => {
    const name = t.name('bad-command');
    const error = (
      await runServiceContainer(t.docker, {
        name,
        image: serviceEnv().imageBusybox,
        command: ['/no/such/program'],
        network: 'none',
        labels: t.labels,
      })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe('DockerApi');
    await expect(clientOf(t.docker).getContainer(name).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('times out an exec that runs too long', async () => {
    const service = (
      await runServiceContainer(t.docker, {
        name: t.name('exec'),
        image: serviceEnv().imageBusybox,
        command: ['sleep', '300'],
        network: 'none',
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const error = (await service.exec(['sleep', '30'], { timeoutMs: 300 }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'Timeout', timeoutMs: 300 });
  });
});
