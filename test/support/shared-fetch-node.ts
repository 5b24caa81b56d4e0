// A watcher node in a process of its own, with the elected fetch on, for the test that kills the
// elected node mid-fetch (packages/core/src/coordination/carried-fetch.test.ts). Run with tsx as
// a loader; argv[2] is JSON { etcdEndpoint, key, url, nodeId, dir, cacheDir, waitMs, lockTtlSeconds }.
// Prints one line per fact: `elected <nodeId>`, `synced <commit> <path>`, `failed <message>`.
import { directoryTarget } from '../../packages/core/src/content/directory-target';
import { connectEtcd } from '../../packages/core/src/coordination/etcd';
import { watchAndPull } from '../../packages/core/src/coordination/watch-and-pull';
import { openGitSource } from '../../packages/core/src/git/source';

interface Job {
  readonly etcdEndpoint: string;
  readonly key: string;
  readonly url: string;
  readonly nodeId: string;
  readonly dir: string;
  readonly cacheDir: string;
  readonly waitMs: number;
  readonly lockTtlSeconds: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const quiet = () => undefined;

async function main(job: Job): Promise<void> {
  const etcd = (await connectEtcd({ endpoints: [job.etcdEndpoint] }))._unsafeUnwrap();
  const source = openGitSource({ url: job.url, cacheDir: job.cacheDir })._unsafeUnwrap();
  const handle = watchAndPull({
    etcd,
    key: job.key,
    source,
    nodeId: job.nodeId,
    targets: [{ target: directoryTarget(job.dir), subdir: 'site/' }],
    statusTtlSeconds: 3,
    sharedFetch: { waitMs: job.waitMs, lockTtlSeconds: job.lockTtlSeconds },
    logger: {
      debug: (_obj: unknown, message?: string) => {
        if (message === 'elected to fetch') say(`elected ${job.nodeId}`);
      },
      info: quiet,
      warn: quiet,
      error: quiet,
    },
  })._unsafeUnwrap();
  const stop = () => void handle.stop().then(() => (etcd.close(), process.exit(0)));
  process.on('SIGTERM', stop);
  for await (const event of handle.events) {
    if (event.type === 'synced') say(`synced ${event.commit} ${event.path}`);
    if (event.type === 'failed') say(`failed ${event.error.message}`);
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as Job).catch((cause: unknown) => {
  process.stderr.write(`${String(cause)}\n`);
  process.exit(1);
});
