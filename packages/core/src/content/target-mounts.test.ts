// A container target whose path is on none of the data container's volumes would publish into
// the helper's own layer and lose it with the helper: refused before anything runs.
import { describe, expect, it } from 'vitest';
import { clientOf } from '../docker/connection';
import { createDataContainer } from '../containers/data-container';
import { runServiceContainer } from '../containers/service-container';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { containerTarget } from './container-target';
import type { StagedFile } from './target';
import { mountHolding } from './target-mounts';

const A = 'a'.repeat(40);

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
async function* one(path: string, content: string): AsyncGenerator<StagedFile> {
  yield { path, kind: 'file', content: Buffer.from(content) };
}

describe('mountHolding', () => {
  const mounts = [
    { type: 'volume', name: 'v1', destination: '/www' },
    { type: 'bind', destination: '/www/shared/' },
    { type: 'tmpfs', destination: '/scratch' },
  ];
  it.each([
    ['/www', '/www'],
    ['/www/', '/www'],
    ['/www/site', '/www'],
    ['/www/shared/x', '/www/shared/'],
    ['/wwwx', undefined],
    ['/scratch', undefined],
    ['/', undefined],
  ])('finds %s on %s', (path, destination) => {
    expect(mountHolding(mounts, path)?.destination).toBe(destination);
  });
});

describe('containerTarget on a path of the data container', () => {
  const t = useTestDocker();

  const dataContainer = async () =>
    (
      await createDataContainer(t.docker, {
        name: t.name('www'),
        image: serviceEnv().imageBusybox,
        volumes: ['/www', '/etc/nginx'],
        labels: t.labels,
      })
    )._unsafeUnwrap();

  const helpers = async (data: string) =>
    clientOf(t.docker).listContainers({
      all: true,
      filters: JSON.stringify({ name: [`${data}-berth-helper`] }),
    });

  it('refuses a path that is not a volume, listing the volumes, and starts nothing', async () => {
    const data = await dataContainer();
    const target = containerTarget(t.docker, {
      container: data.name,
      path: '/not-a-volume',
      labels: t.labels,
    });

    const error = (await target.state())._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'InvalidInput', field: 'path' });
    expect(error.message).toContain('/not-a-volume');
    expect(error.message).toContain('/www (volume');
    expect(error.message).toContain('/etc/nginx (volume');
    const staged = await target.stage({
      commit: A,
      files: one('index.html', 'lost\n'),
      deleted: [],
      replaced: [],
      mtime: new Date(),
      expectActive: undefined,
      activate: {},
    });
    expect(staged._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'path' });
    expect(await helpers(data.name)).toEqual([]);
  });

  it('publishes into a folder inside a volume, where other containers see it', async () => {
    const data = await dataContainer();
    const target = containerTarget(t.docker, {
      container: data.name,
      path: '/www/site',
      labels: t.labels,
    });
    const staged = await target.stage({
      commit: A,
      files: one('index.html', 'kept\n'),
      deleted: [],
      replaced: [],
      mtime: new Date(),
      expectActive: undefined,
      activate: {},
    });
    expect(staged._unsafeUnwrap().state.active).toBe(A);
    (await target.close())._unsafeUnwrap();

    const reader = (
      await runServiceContainer(t.docker, {
        name: t.name('reader'),
        image: serviceEnv().imageBusybox,
        command: ['sleep', '600'],
        volumesFrom: [data.name],
        network: 'none',
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const read = (await reader.exec(['cat', '/www/site/current/index.html']))._unsafeUnwrap();
    expect(read.stdout).toBe('kept\n');
  });

  it('says there is no such container', async () => {
    const target = containerTarget(t.docker, { container: t.name('missing'), path: '/www' });
    expect((await target.state())._unsafeUnwrapErr()).toMatchObject({
      kind: 'NotFound',
      resource: 'container',
    });
  });
});
