// The seed's "git pull container", done with berth: `berth watch` running inside a container
// started with --volumes-from the data container, publishing with directoryTarget — no Docker API
// on its hot path. Over HTTP, and over SSH as the seed did it (`-v ~/.ssh:/root/.ssh:ro`, the key
// and known_hosts found there). No node image exists here (no Docker Hub), so the container is the
// busybox test image with the host's node, its libraries and this repository mounted read-only.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  announceRevision,
  connectEtcd,
  createDataContainer,
  listNodeStatuses,
  runServiceContainer,
  type EtcdConnection,
} from '../packages/core/src/index';
import { clientOf } from '../packages/core/src/docker/connection';
import { useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures, type BareRepo } from './support/git';
import { sshEnv, sshUrl } from './support/git-ssh';
import { serviceEnv } from './support/services';

const root = join(import.meta.dirname, '..');
const t = useTestDocker();
const fixtures = useGitFixtures();

/** How the watcher in the container reaches the repository. */
interface Transport {
  readonly name: string;
  readonly title: string;
  url(repo: BareRepo): string;
  /** Extra binds and environment for the watcher's container. */
  container(): Promise<{ readonly binds: string[]; readonly env: string[] }>;
}

const transports: Transport[] = [
  {
    name: 'http',
    title: 'publishes into the volumes it shares with nginx, and stops cleanly on SIGTERM',
    url: (repo) => repo.url,
    container: () => Promise.resolve({ binds: [], env: [] }),
  },
  {
    name: 'ssh',
    title: 'fetches over ssh with ~/.ssh mounted read-only (key, known_hosts), and publishes',
    url: sshUrl,
    container: async () => {
      const sshDir = join(await fixtures.dir('berth-container-home'), '.ssh');
      await mkdir(sshDir, { mode: 0o700 });
      await copyFile(sshEnv().key, join(sshDir, 'id_ed25519'));
      await chmod(join(sshDir, 'id_ed25519'), 0o600);
      await copyFile(sshEnv().knownHosts, join(sshDir, 'known_hosts'));
      return { binds: [`${sshDir}:/root/.ssh:ro`], env: ['HOME=/root'] };
    },
  },
];

describe('berth watch inside a container with --volumes-from', () => {
  let etcd: EtcdConnection;

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  });
  afterAll(() => etcd?.close());

  for (const transport of transports)
    it(`${transport.name}: ${transport.title}`, async () => {
      expect(existsSync(join(root, 'packages/cli/dist/bin.cjs')), 'npm run build first').toBe(true);
      const nodeId = `in-container-${transport.name}`;
      const key = `berth-test/${nodeId}/${Date.now().toString(36)}`;
      const repo = await fixtures.repo(nodeId);
      const commit = await commitFiles(repo, { 'site/index.html': 'from inside\n' });
      const extra = await transport.container();
      (await announceRevision(etcd, key, { commit, by: 'test' }))._unsafeUnwrap();
      const data = (
        await createDataContainer(t.docker, {
          name: t.name('www-content'),
          image: serviceEnv().imageBusybox,
          volumes: ['/www'],
          labels: t.labels,
        })
      )._unsafeUnwrap();

      const client = clientOf(t.docker);
      const created = await client.createContainer({
        name: t.name('watcher'),
        Image: serviceEnv().imageBusybox,
        Cmd: [
          ...['/usr/bin/node', '/berth/packages/cli/bin/berth.js', 'watch'],
          ...['--key', key, '--repo', transport.url(repo), '--node-id', nodeId],
          ...['--target', 'site/=dir:/www', '--etcd-endpoints', serviceEnv().etcdEndpoint],
        ],
        Labels: t.labels,
        Env: extra.env,
        HostConfig: {
          NetworkMode: 'host',
          VolumesFrom: [data.name],
          Binds: [
            '/usr:/usr:ro',
            '/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro',
            '/usr/lib64:/lib64:ro',
            `${root}:/berth:ro`,
            ...extra.binds,
          ],
        },
      });
      await created.start();

      // Read what the watcher wrote from another container on the same volumes, like nginx would.
      const reader = (
        await runServiceContainer(t.docker, {
          name: t.name('reader'),
          image: serviceEnv().imageBusybox,
          command: ['sleep', '300'],
          volumesFrom: [data.name],
          network: 'none',
          labels: t.labels,
        })
      )._unsafeUnwrap();
      const deadline = Date.now() + 60_000;
      let served = '';
      while (Date.now() < deadline) {
        const r = (await reader.exec(['cat', '/www/current/index.html']))._unsafeUnwrap();
        if (r.exitCode === 0) {
          served = r.stdout;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(served).toBe('from inside\n');
      expect((await reader.exec(['readlink', '/www/current']))._unsafeUnwrap().stdout.trim()).toBe(
        `.berth/releases/${commit}`,
      );
      expect((await listNodeStatuses(etcd, key))._unsafeUnwrap()).toMatchObject([
        { nodeId, commit },
      ]);

      await created.kill({ signal: 'SIGTERM' });
      const exit = (await created.wait()) as { StatusCode: number };
      expect(exit.StatusCode).toBe(0);
      expect((await listNodeStatuses(etcd, key))._unsafeUnwrap()).toEqual([]);
    });
});
