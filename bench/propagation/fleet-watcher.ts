// One fleet node's watcher in a process of its own, as on a real fleet (one watcher per node):
// started by fleet-process.ts with fork(), argv[2] is a WatcherJob as JSON. It publishes into
// the node's /www with the directory target and sends the parent, over IPC, `ready` once its
// first sync is done and the watch is set up, then every `synced` event with the CPU time this
// process used since the previous one. It stops on the parent's `stop` or when the parent is gone.
import { okAsync } from 'neverthrow';
import { connectEtcd, directoryTarget, openGitSource, watchAndPull } from '@berth/core';
import type { WatcherExtras } from './berth-single.ts';

export interface WatcherJob {
  readonly etcdEndpoint: string;
  readonly key: string;
  readonly nodeId: string;
  /** The repository's URL (through the bench's counting proxy). */
  readonly url: string;
  readonly cacheDir: string;
  /** The node's /www on this host. */
  readonly dir: string;
  readonly extras: WatcherExtras;
}

/** What the watcher process sends its parent. */
export type WatcherMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'synced';
      readonly event: unknown;
      /** CPU ms (user + system) this process used since its previous message. */
      readonly cpuMs: number;
    };

const send = (message: WatcherMessage) => process.send?.(message);

async function main(job: WatcherJob): Promise<void> {
  const etcd = await connectEtcd({ endpoints: [job.etcdEndpoint] });
  if (etcd.isErr()) throw new Error(etcd.error.message);
  const source = openGitSource({ url: job.url, cacheDir: job.cacheDir });
  if (source.isErr()) throw new Error(source.error.message);
  const target = directoryTarget(job.dir);
  const handle = watchAndPull({
    ...job.extras,
    etcd: etcd.value,
    key: job.key,
    nodeId: job.nodeId,
    source: source.value,
    // A no-op check makes the swap its own step, as in the single-node rows.
    targets: [{ target, beforeActivate: () => okAsync(undefined) }],
  });
  if (handle.isErr()) throw new Error(handle.error.message);
  const watcher = handle.value;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await watcher.stop();
      void (await target.close()); // only drops the copy made ahead
      etcd.value.close();
      process.disconnect?.();
    })());
  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  let cpu = process.cpuUsage();
  void (async () => {
    for await (const event of watcher.events) {
      if (event.type !== 'synced') continue;
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      send({ type: 'synced', event, cpuMs: (used.user + used.system) / 1000 });
    }
  })();
  // An empty key is not a failure: the node is watching, waiting for the first announcement.
  const ready = await watcher.ready;
  if (ready.isErr()) throw new Error(`first sync failed: ${ready.error.message}`);
  send({ type: 'ready' });
}

main(JSON.parse(process.argv[2] ?? '{}') as WatcherJob).catch((cause: unknown) => {
  send({ type: 'failed', message: cause instanceof Error ? cause.message : String(cause) });
  process.exitCode = 1;
  process.disconnect?.();
});
