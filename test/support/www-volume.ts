// A data container holding `/www` and a running busybox that mounts it (`--volumes-from`) to look
// at what is there: what the container-target tests share. Both carry the test run's labels.
import {
  createDataContainer,
  type DataContainer,
} from '../../packages/core/src/containers/data-container';
import {
  runServiceContainer,
  type ServiceContainer,
} from '../../packages/core/src/containers/service-container';
import type { TestDocker } from './docker';
import { serviceEnv } from './services';

/** A data container with the volume `/www` (busybox, never started). */
export async function wwwData(t: TestDocker): Promise<DataContainer> {
  return (
    await createDataContainer(t.docker, {
      name: t.name('www'),
      image: serviceEnv().imageBusybox,
      volumes: ['/www'],
      labels: t.labels,
    })
  )._unsafeUnwrap();
}

/** A running container that mounts `data`'s volumes, to read them. */
export async function volumeReader(t: TestDocker, data: string): Promise<ServiceContainer> {
  return (
    await runServiceContainer(t.docker, {
      name: t.name('reader'),
      image: serviceEnv().imageBusybox,
      command: ['sleep', '600'],
      volumesFrom: [data],
      network: 'none',
      labels: t.labels,
    })
  )._unsafeUnwrap();
}
