// A CDN node's watcher, the seed's "etcdctl watch … git pull" done with berth: announce a commit
// the way Jenkins does, let the watcher publish it into a local directory, and wait until every
// node serves it. Run: npx tsx examples/watch.ts
//
// BERTH_EXAMPLE_GIT_URL   the repository (default http://127.0.0.1:8180/repo.git, the test git server)
// BERTH_EXAMPLE_KEY       the etcd key to watch (default berth-example/www)
// BERTH_EXAMPLE_DIR       where to publish (default: a temporary directory, removed at the end)
// BERTH_WATCH_FOREVER=1   keep watching (print every event) until Ctrl-C, instead of exiting after
//                         the first sync
// etcd is found as connectEtcd does: ETCDCTL_ENDPOINTS, ETCD_ENDPOINTS, else 127.0.0.1:2379.
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  announceRevision,
  connectEtcd,
  directoryTarget,
  openGitSource,
  waitForConvergence,
  watchAndPull,
} from '@berth/core';

const url = process.env.BERTH_EXAMPLE_GIT_URL ?? 'http://127.0.0.1:8180/repo.git';
const key = process.env.BERTH_EXAMPLE_KEY ?? 'berth-example/www';
const forever = process.env.BERTH_WATCH_FOREVER === '1';
const scratch = await mkdtemp(join(tmpdir(), 'berth-watch-example-'));
const dir = process.env.BERTH_EXAMPLE_DIR ?? join(scratch, 'www');

const fail = async (message: string): Promise<never> => {
  console.error(message);
  await rm(scratch, { recursive: true, force: true });
  process.exit(1);
};

const connecting = await connectEtcd();
if (connecting.isErr()) await fail(connecting.error.message);
const connected = connecting._unsafeUnwrap();
console.log(`etcd ${connected.serverVersion} at ${connected.endpoints.join(', ')}`);

const source = openGitSource({ url, cacheDir: join(scratch, 'git-cache') });
if (source.isErr()) await fail(source.error.message);
const repo = source._unsafeUnwrap();

// Jenkins' side: resolve what was pushed and announce it.
const tip = await repo.resolve('main');
if (tip.isErr()) await fail(tip.error.message);
const commit = tip._unsafeUnwrap();
const announced = await announceRevision(connected, key, {
  commit,
  ref: 'main',
  by: 'examples/watch.ts',
});
if (announced.isErr()) await fail(announced.error.message);
console.log(
  `announced ${commit.slice(0, 12)} at ${key} (etcd revision ${announced._unsafeUnwrap()})`,
);

// The node's side: watch the key and publish what it names into `dir`.
const nodeId = `${hostname()}-${process.pid}`;
const watcher = watchAndPull({
  etcd: connected,
  key,
  nodeId,
  source: repo,
  targets: [{ target: directoryTarget(dir) }],
});
if (watcher.isErr()) await fail(watcher.error.message);
const handle = watcher._unsafeUnwrap();

if (forever) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void handle.stop());
  for await (const event of handle.events) {
    const detail =
      event.type === 'synced' ? ` ${event.commit.slice(0, 12)} in ${event.timings.totalMs} ms` : '';
    console.log(`${new Date().toISOString()} ${event.type}${detail}`);
  }
} else {
  // Jenkins again: wait until every live node serves the commit, having applied this
  // announcement (a status from before it is no answer).
  const converged = await waitForConvergence(connected, key, {
    commit,
    fromRevision: announced._unsafeUnwrap(),
    timeoutMs: 30_000,
  });
  let exitCode = 0;
  converged.match(
    (nodes) => {
      for (const node of nodes)
        console.log(
          `node ${node.nodeId} serves ${node.commit?.slice(0, 12)} (healthy: ${node.healthy})`,
        );
      console.log(`${dir}/current -> ${handle.status().commit?.slice(0, 12)}`);
    },
    (error) => {
      console.error(`${error.kind}: ${error.message}`);
      exitCode = 1;
    },
  );
  await handle.stop();
  connected.close();
  await rm(scratch, { recursive: true, force: true });
  process.exit(exitCode);
}
connected.close();
await rm(scratch, { recursive: true, force: true });
