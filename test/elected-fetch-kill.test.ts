// The elected fetch when the elected node dies: a `berth watch --shared-fetch` process wins the
// election, its upload-pack request is held at the origin, and it is killed with SIGKILL in the
// middle of the fetch. Its lock's lease runs out, another node of the fleet is elected, fetches
// once and shares the change; every node ends on the announced commit.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceRevision } from '../packages/core/src/coordination/announce';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/coordination/etcd';
import { deletePrefix, getKey } from '../packages/core/src/coordination/etcd-kv';
import { fetchLockKey } from '../packages/core/src/coordination/carried-change';
import { listNodeStatuses } from '../packages/core/src/coordination/fleet';
import { startGitRequestCounter, type GitRequestCounter } from './support/git-request-counter';
import { useGitFixtures, type BareRepo } from './support/git';
import { serviceEnv } from './support/services';
import {
  commitSeries,
  directoryNode,
  forgetKeys,
  ofType,
  uniqueKey,
  until,
  type DirectoryNode,
} from './support/watch-fixtures';

const root = join(import.meta.dirname, '..');
const fixtures = useGitFixtures();
/** The in-process nodes act this long after an announcement: the process node is elected first. */
const FLEET_DEBOUNCE_MS = 6_000;

let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
/** In front of the origin for the process node: holds its fetch. */
let childProxy: GitRequestCounter;
/** In front of the origin for the rest of the fleet: counts its fetches. */
let fleetProxy: GitRequestCounter;
let child: ChildProcess | undefined;
const nodes: DirectoryNode[] = [];
const key = uniqueKey('elected-kill');

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  childProxy = await startGitRequestCounter(serviceEnv().gitBaseUrl);
  fleetProxy = await startGitRequestCounter(serviceEnv().gitBaseUrl);
  repo = await fixtures.repo('elected-kill');
  commits = await commitSeries(repo.dir, 3, (i) => ({ 'site/index.html': `<h1>v${i}</h1>\n` }));
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await Promise.all(nodes.splice(0).map((n) => n.dispose()));
  if (etcd) {
    for (const prefix of [`berth/carried/${key}/`, `berth/fetch/${key}/`])
      (await deletePrefix(etcd, prefix))._unsafeUnwrap();
    await forgetKeys(etcd);
  }
  etcd?.close();
  await childProxy?.close();
  await fleetProxy?.close();
});

const via = (proxy: GitRequestCounter) => proxy.url(repo.url);
const commit = (i: number) => commits[i] ?? '';

/** Resolves `promise`, or throws naming `what` after `ms`. */
async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the elected fetch, when the elected node is killed mid-fetch', () => {
  it('elects another node once the dead one lease runs out; it fetches once and the fleet converges', async () => {
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const dir = await fixtures.dir('berth-elected-child');
    // A folder inside a fixture: the cache's lock file sits beside the cache, and goes with it.
    const cacheDir = join(await fixtures.dir('berth-elected-child'), 'cache');
    child = spawn(
      process.execPath,
      [
        join(root, 'packages/cli/bin/berth.js'),
        'watch',
        ...['--key', key, '--repo', via(childProxy), '--node-id', 'elected-child'],
        ...['--target', `site/=dir:${dir}`, '--cache-dir', cacheDir],
        ...['--etcd-endpoints', serviceEnv().etcdEndpoint, '--status-ttl', '5'],
        '--shared-fetch',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child?.once('exit', (_code, signal) => resolve(signal)),
    );
    for (const nodeId of ['fleet-a', 'fleet-b']) {
      const n = await directoryNode({
        etcd,
        key,
        url: via(fleetProxy),
        nodeId,
        subdir: 'site/',
        sharedFetch: { waitMs: 60_000 },
        debounce: { minMs: FLEET_DEBOUNCE_MS, maxMs: FLEET_DEBOUNCE_MS },
      });
      nodes.push(n);
    }
    for (const n of nodes) (await n.handle.ready)._unsafeUnwrap();
    await until(
      'the process node serves the first commit',
      async () =>
        (await listNodeStatuses(etcd, key))
          .unwrapOr([])
          .some((s) => s.nodeId === 'elected-child' && s.commit === commit(0)),
      30_000,
    );

    // The process node is elected (the others are still debouncing) and asks the origin: the
    // request is held there, and the process is killed while it waits.
    const held = childProxy.holdNextUploadPack();
    const fleetFetches = fleetProxy.counts().uploadPacks;
    const childFetches = childProxy.counts().uploadPacks;
    (await announceRevision(etcd, key, { commit: commit(2) }))._unsafeUnwrap();
    await within('the process node fetching', held, FLEET_DEBOUNCE_MS);
    expect(fleetProxy.counts().uploadPacks).toBe(fleetFetches);
    expect((await getKey(etcd, fetchLockKey(key, commit(2))))._unsafeUnwrap().kv).toBeDefined();
    child.kill('SIGKILL');
    expect(await within('the process node to die', exited, 10_000)).toBe('SIGKILL');
    childProxy.dropHeld();

    // Another node is elected once the dead node's lock lease expires, fetches, and shares.
    for (const n of nodes)
      await until(
        `${n.handle.status().nodeId} serves the announced commit`,
        () => ofType(n.events, 'synced').some((e) => e.commit === commit(2)),
        60_000,
      );
    const paths = nodes
      .map((n) => ofType(n.events, 'synced').find((e) => e.commit === commit(2))?.path)
      .sort();
    expect(paths).toEqual(['origin', 'shared']);
    expect(fleetProxy.counts().uploadPacks).toBe(fleetFetches + 1);
    expect(childProxy.counts().uploadPacks).toBe(childFetches + 1);
    for (const n of nodes) {
      expect(await readFile(join(n.dir, 'current/index.html'), 'utf8')).toBe('<h1>v2</h1>\n');
      expect(ofType(n.events, 'failed')).toEqual([]);
    }
    // The dead node never served the new commit.
    expect(await readFile(join(dir, 'current/index.html'), 'utf8')).toBe('<h1>v0</h1>\n');
  });
});
