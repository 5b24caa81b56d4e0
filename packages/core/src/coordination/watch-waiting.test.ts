// A node started before its data container: watchAndPull with a container target waits for it
// (status `waiting`, bounded polling) and publishes as soon as it exists. Real engine and etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataContainer } from '../containers/data-container';
import { containerTarget } from '../content/container-target';
import { openGitSource } from '../git/source';
import { useTestDocker } from '../../../../test/support/docker';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  forgetKeys,
  ofType,
  recordEvents,
  uniqueKey,
  until,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { listNodeStatuses } from './fleet';
import { watchAndPull } from './watch-and-pull';

const t = useTestDocker();
const fixtures = useGitFixtures();
let etcd: EtcdConnection;

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

describe('watchAndPull with a container that does not exist yet', () => {
  it('waits for it, saying so, and publishes as soon as it exists', async () => {
    const repo = await fixtures.repo('wait-container');
    const commit = await commitFiles(repo, { 'index.html': 'late container\n' });
    const key = uniqueKey('wait-container');
    (await announceRevision(etcd, key, { commit }))._unsafeUnwrap();
    const name = t.name('late-content');
    const target = containerTarget(t.docker, { container: name, path: '/www', labels: t.labels });
    const source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-wait-container'),
    })._unsafeUnwrap();
    const handle = watchAndPull({
      etcd,
      key,
      nodeId: 'late-node',
      source,
      targets: [{ target }],
      // A give-up limit that a missing container must not reach.
      retry: { initialMs: 50, maxMs: 10_000, maxFailures: 2 },
    })._unsafeUnwrap();
    const events = recordEvents(handle);
    try {
      await until('three looks for the container', () => ofType(events, 'waiting').length >= 3);
      expect(ofType(events, 'waiting')[0]).toMatchObject({ container: name, attempt: 1 });
      expect(ofType(events, 'failed')).toEqual([]);
      expect(handle.status()).toMatchObject({
        healthy: false,
        commit: undefined,
        waiting: { for: 'container', container: name },
      });
      // Polling is bounded: waits stay at or under 2 s even with retry.maxMs at 10 s.
      expect(ofType(events, 'retrying').every((e) => e.delayMs <= 2_000)).toBe(true);
      await until('the status key says waiting', async () => {
        const [s] = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
        return s?.state === 'waiting' && s.waiting?.container === name;
      });

      (
        await createDataContainer(t.docker, {
          name,
          image: serviceEnv().imageBusybox,
          volumes: ['/www'],
          labels: t.labels,
        })
      )._unsafeUnwrap();
      await until('published', () => handle.status().commit === commit, 30_000);
      expect(handle.status()).toMatchObject({ healthy: true });
      expect(handle.status().waiting).toBeUndefined();
      await until('the status key says active', async () => {
        const [s] = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
        return s?.state === 'active' && s.commit === commit && s.ok;
      });
    } finally {
      await handle.stop();
      (await target.close())._unsafeUnwrap();
    }
  });
});
