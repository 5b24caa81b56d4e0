import { describe, expect, it } from 'vitest';
import { hasKind } from '../errors';
import { clientOf } from '../docker/connection';
import { LABEL_MANAGED, LABEL_ROLE, LABEL_VERSION } from '../labels';
import { serviceEnv } from '../../../../test/support/services';
import { useTestDocker } from '../../../../test/support/docker';
import { createDataContainer } from './data-container';
import { removeDataContainer } from './remove-data-container';

const t = useTestDocker();
const busybox = () => serviceEnv().imageBusybox;

/** A running container that mounts `from`'s volumes, like nginx with --volumes-from. */
async function startUser(from: string) {
  const client = clientOf(t.docker);
  const user = await client.createContainer({
    name: t.name('user'),
    Image: busybox(),
    Cmd: ['sleep', '300'],
    Labels: t.labels,
    HostConfig: { VolumesFrom: [from], NetworkMode: 'none' },
  });
  await user.start();
  return user;
}

describe('createDataContainer', () => {
  it('creates a never-started container with the volumes, berth labels and no network', async () => {
    const name = t.name('www-content');
    const result = await createDataContainer(t.docker, {
      name,
      image: busybox(),
      volumes: ['/etc/nginx', '/www'],
      labels: t.labels,
    });
    const data = result._unsafeUnwrap();
    expect(data).toMatchObject({ name, image: busybox(), created: true });
    expect(data.volumes.map((v) => v.path)).toEqual(['/etc/nginx', '/www']);
    expect(data.volumes.every((v) => /^[0-9a-f]{64}$/.test(v.volumeName))).toBe(true);

    const inspected = await clientOf(t.docker).getContainer(data.id).inspect();
    expect(inspected.State.Status).toBe('created');
    expect(inspected.Config.Cmd).toEqual(['/bin/true']);
    expect(inspected.HostConfig.NetworkMode).toBe('none');
    expect(inspected.Config.Labels).toMatchObject({
      [LABEL_MANAGED]: 'true',
      [LABEL_ROLE]: 'data',
      [LABEL_VERSION]: expect.stringMatching(/^\d+\.\d+\.\d+/),
      ...t.labels,
    });
  });

  it('gives back the existing container for the same name and spec', async () => {
    const spec = {
      name: t.name('data'),
      image: busybox(),
      volumes: ['/www', '/etc/nginx'],
      labels: t.labels,
    };
    const first = (await createDataContainer(t.docker, spec))._unsafeUnwrap();
    // Same set of volumes in another order, and the image without its registry-less normal form.
    const second = (
      await createDataContainer(t.docker, { ...spec, volumes: ['/etc/nginx/', '/www'] })
    )._unsafeUnwrap();
    expect(second).toEqual({ ...first, created: false });
  });

  it('refuses another spec under the same name, naming each difference, and replaces nothing', async () => {
    const name = t.name('data');
    const first = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const result = await createDataContainer(t.docker, {
      name,
      image: serviceEnv().imageNginx,
      volumes: ['/www', '/etc/nginx'],
      command: ['/bin/false'],
      labels: t.labels,
    });
    const error = result._unsafeUnwrapErr();
    if (!hasKind(error, 'Conflict')) throw new Error(`expected Conflict, got ${error.kind}`);
    expect(error.name).toBe(name);
    expect(error.differences).toHaveLength(3);
    expect(error.differences.join('\n')).toMatch(/^image: .*\nvolumes: .*\ncommand: .*$/);
    expect((await clientOf(t.docker).getContainer(name).inspect()).Id).toBe(first.id);
  });

  it('does not adopt a container it did not make', async () => {
    const name = t.name('foreign');
    await clientOf(t.docker).createContainer({
      name,
      Image: busybox(),
      Cmd: ['/bin/true'],
      Volumes: { '/www': {} },
      Labels: t.labels,
    });
    const error = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      kind: 'Conflict',
      differences: [expect.stringContaining('role')],
    });
  });

  it('replaces a container with another spec when asked and nothing uses it', async () => {
    const name = t.name('data');
    const old = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const replaced = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www', '/etc/nginx'],
        labels: t.labels,
        replace: true,
      })
    )._unsafeUnwrap();
    expect(replaced.created).toBe(true);
    expect(replaced.id).not.toBe(old.id);
    expect(replaced.volumes).toHaveLength(2);
    await expect(clientOf(t.docker).getContainer(old.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('will not replace a container whose volumes a running container uses', async () => {
    const name = t.name('data');
    const old = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const user = await startUser(name);
    const error = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/srv'],
        labels: t.labels,
        replace: true,
      })
    )._unsafeUnwrapErr();
    if (!hasKind(error, 'InUse')) throw new Error(`expected InUse, got ${error.kind}`);
    expect(error.users.map((u) => u.id)).toEqual([user.id]);
    expect((await clientOf(t.docker).getContainer(name).inspect()).Id).toBe(old.id);
  });

  it('ends with one container when several callers create the same name at once', async () => {
    const name = t.name('race');
    const spec = { name, image: busybox(), volumes: ['/etc/nginx', '/www'], labels: t.labels };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => createDataContainer(t.docker, spec)),
    );
    const values = results.map((r) => {
      if (r.isErr()) throw new Error(`${r.error.kind}: ${r.error.message}`);
      return r.value;
    });
    expect(new Set(values.map((v) => v.id)).size).toBe(1);
    expect(values.filter((v) => v.created)).toHaveLength(1);
    const listed = await clientOf(t.docker).listContainers({
      all: true,
      filters: JSON.stringify({ name: [`^/${name}$`] }),
    });
    expect(listed).toHaveLength(1);
  });

  it('reports an image that is not there with pull "never", and creates nothing', async () => {
    const name = t.name('data');
    const error = (
      await createDataContainer(t.docker, {
        name,
        image: 'berth-test/no-such-image:1',
        volumes: ['/www'],
        pull: 'never',
        labels: t.labels,
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      kind: 'NotFound',
      resource: 'image',
      ref: 'berth-test/no-such-image:1',
    });
    await expect(clientOf(t.docker).getContainer(name).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe('removeDataContainer', () => {
  it('refuses while a running container uses its volumes, then removes it with force', async () => {
    const name = t.name('data');
    const data = (
      await createDataContainer(t.docker, {
        name,
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const user = await startUser(name);
    const refused = (await removeDataContainer(t.docker, name))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ kind: 'InUse', users: [{ id: user.id }] });
    expect((await clientOf(t.docker).getContainer(name).inspect()).Id).toBe(data.id);

    const removed = (await removeDataContainer(t.docker, name, { force: true }))._unsafeUnwrap();
    expect(removed).toEqual({ id: data.id, name, removedVolumes: [] });
    await expect(clientOf(t.docker).getContainer(data.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('removes its volumes only when asked', async () => {
    const client = clientOf(t.docker);
    const keep = (
      await createDataContainer(t.docker, {
        name: t.name('keep'),
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const drop = (
      await createDataContainer(t.docker, {
        name: t.name('drop'),
        image: busybox(),
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const kept = keep.volumes[0]?.volumeName ?? '';
    const dropped = drop.volumes[0]?.volumeName ?? '';

    expect((await removeDataContainer(t.docker, keep.name))._unsafeUnwrap().removedVolumes).toEqual(
      [],
    );
    expect(
      (await removeDataContainer(t.docker, drop.name, { volumes: true }))._unsafeUnwrap()
        .removedVolumes,
    ).toEqual([dropped]);

    expect((await client.getVolume(kept).inspect()).Name).toBe(kept);
    await expect(client.getVolume(dropped).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await client.getVolume(kept).remove();
  });

  it('says NotFound for a name that is not there', async () => {
    const error = (await removeDataContainer(t.docker, t.name('missing')))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'NotFound', resource: 'container' });
  });
});
