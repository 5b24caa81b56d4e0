// removeDataContainer removes berth's own never-started data containers; anything else (a
// running service, a container berth never made) only with `force`, and it says which it is.
import { describe, expect, it } from 'vitest';
import { clientOf } from '../docker/connection';
import { LABEL_MANAGED, LABEL_ROLE } from '../labels';
import { serviceEnv } from '../../../../test/support/services';
import { useTestDocker } from '../../../../test/support/docker';
import { createDataContainer } from './data-container';
import { removeDataContainer } from './remove-data-container';
import { runServiceContainer } from './service-container';

const t = useTestDocker();

const exists = async (id: string) =>
  clientOf(t.docker)
    .getContainer(id)
    .inspect()
    .then(
      (c) => ({ running: c.State.Running }),
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return undefined;
        throw e;
      },
    );

describe('removeDataContainer refuses what is not a stopped berth data container', () => {
  it('refuses a running nginx service container, saying it is running and not a data container', async () => {
    const nginx = (
      await runServiceContainer(t.docker, {
        name: t.name('nginx'),
        image: serviceEnv().imageNginx,
        network: 'none',
        labels: t.labels,
      })
    )._unsafeUnwrap();

    const refused = (await removeDataContainer(t.docker, nginx.name))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ kind: 'Conflict', name: nginx.name });
    if (refused.kind !== 'Conflict') throw new Error('expected Conflict');
    expect(refused.differences).toEqual([
      expect.stringMatching(/^labels: not a berth data container .*io\.berth\.role=service/),
      expect.stringMatching(/^state: running/),
    ]);
    expect(refused.message).toContain('running');
    expect(await exists(nginx.id)).toEqual({ running: true });

    (await removeDataContainer(t.docker, nginx.name, { force: true }))._unsafeUnwrap();
    expect(await exists(nginx.id)).toBeUndefined();
  });

  it('refuses a container berth never made, saying so', async () => {
    const name = t.name('plain');
    const plain = await clientOf(t.docker).createContainer({
      name,
      Image: serviceEnv().imageBusybox,
      Cmd: ['true'],
      Labels: t.labels,
      HostConfig: { NetworkMode: 'none' },
    });

    const refused = (await removeDataContainer(t.docker, name))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      kind: 'Conflict',
      // The test image's own labels come along (io.berth.role=test-image): not `data` either.
      differences: [
        expect.stringMatching(
          /^labels: not a berth data container \(.*io\.berth\.role=(unset|test-image)\)$/,
        ),
      ],
    });
    expect(await exists(plain.id)).toEqual({ running: false });

    (await removeDataContainer(t.docker, name, { force: true }))._unsafeUnwrap();
    expect(await exists(plain.id)).toBeUndefined();
  });

  it('refuses a data container that is running, saying only that', async () => {
    const name = t.name('running-data');
    const started = await clientOf(t.docker).createContainer({
      name,
      Image: serviceEnv().imageBusybox,
      Cmd: ['sleep', '300'],
      Labels: { ...t.labels, [LABEL_MANAGED]: 'true', [LABEL_ROLE]: 'data' },
      HostConfig: { NetworkMode: 'none' },
    });
    await started.start();

    const refused = (await removeDataContainer(t.docker, name))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      kind: 'Conflict',
      differences: ['state: running (a data container is never started)'],
    });
    expect(await exists(started.id)).toEqual({ running: true });
  });

  it('removes a real data container without force', async () => {
    const data = (
      await createDataContainer(t.docker, {
        name: t.name('data'),
        image: serviceEnv().imageBusybox,
        volumes: ['/www'],
        labels: t.labels,
      })
    )._unsafeUnwrap();
    const removed = (await removeDataContainer(t.docker, data.name))._unsafeUnwrap();
    expect(removed).toEqual({ id: data.id, name: data.name, removedVolumes: [] });
    expect(await exists(data.id)).toBeUndefined();
    // Without `volumes: true` the content outlives the container: still there (an anonymous
    // volume, unlabelled), and removed here.
    const volume = clientOf(t.docker).getVolume(data.volumes[0]?.volumeName ?? '');
    await volume.inspect();
    await volume.remove();
  });
});
