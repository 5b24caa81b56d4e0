// No lost update on a real 3-member etcd cluster: members (each watcher's own among them, and the
// leader) stopped and restarted during a stream of announcements, over several seeds; and the
// whole cluster down for 10 s.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster, type EtcdCluster } from '../../../../test/support/etcd-cluster';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import {
  commitSeries,
  directoryNode,
  ofType,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { parseAnnouncement } from './announcement';
import { connectEtcd, type EtcdConnection } from './etcd';
import { getKey } from './etcd-kv';

const ANNOUNCEMENTS = 200;
const SEEDS = [1, 2, 3];

const fixtures = useGitFixtures();
const members = useEtcdCluster(3);
let announcer: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const cleanups: Array<() => unknown> = [];

/** mulberry32: a small deterministic PRNG, so a failing seed can be run again. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

beforeAll(async () => {
  announcer = (await connectEtcd({ endpoints: members.cluster.endpoints }))._unsafeUnwrap();
  repo = await fixtures.repo('cluster');
  commits = await commitSeries(repo.dir, 50, (i) => ({ 'index.html': `version ${i}\n` }));
}, 60_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => announcer?.close());

/** Announces, retrying while the cluster elects a leader; the next one goes only after this one is in. */
async function announce(key: string, commit: string): Promise<number> {
  let last: unknown;
  for (let attempt = 0; attempt < 200; attempt++) {
    const written = await announceRevision(announcer, key, { commit }, { timeoutMs: 2_000 });
    if (written.isOk()) return written.value;
    last = written.error;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`could not announce ${commit}: ${JSON.stringify(last)}`);
}

/**
 * Watchers on `key`, one per entry of `homes`: a member index gives that watcher only its own
 * member's endpoint (it waits for that member when it is down); undefined gives it all of them.
 */
async function startWatchers(
  cluster: EtcdCluster,
  key: string,
  random: () => number,
  homes: readonly (number | undefined)[],
): Promise<DirectoryNode[]> {
  const nodes: DirectoryNode[] = [];
  for (const [i, home] of homes.entries()) {
    const endpoints =
      home === undefined ? shuffled(cluster.endpoints, random) : [cluster.endpoints[home] ?? ''];
    const etcd = (await connectEtcd({ endpoints }))._unsafeUnwrap();
    const node = await directoryNode({
      etcd,
      key,
      url: repo.url,
      nodeId: `w${i}`,
      retry: { initialMs: 50, maxMs: 500 },
    });
    cleanups.push(
      () => etcd.close(),
      () => node.dispose(),
    );
    nodes.push(node);
  }
  return nodes;
}

/**
 * Member stops and restarts at seeded points of the stream: every member once, in a seeded order
 * (so each watcher's own member is among them), the leader of the moment once; and, just before
 * the last announcement, the own member of a watcher that knows no other (not the leader), killed
 * and restarted after the stream, so the last value lands while that watcher cannot see it.
 */
function chaos(
  cluster: EtcdCluster,
  random: () => number,
  progress: () => number,
  homes: readonly number[],
) {
  const at = (n: number) => until(`announcement ${n}`, () => progress() >= n, 60_000);
  const signal = () => (random() < 0.5 ? 'SIGKILL' : 'SIGTERM');
  const order = shuffled([0, 1, 2], random);
  const plan: Array<{ readonly from: number; readonly member: () => Promise<number> }> = [
    ...order.map((m, i) => ({ from: 15 + i * 45, member: () => Promise.resolve(m) })),
    { from: 150, member: () => cluster.leader() },
  ];
  const stopped: number[] = [];
  const rolling = (async () => {
    for (const step of plan) {
      await at(step.from + Math.floor(random() * 10));
      const member = await step.member();
      await cluster.stop(member, signal());
      stopped.push(member);
      await at(step.from + 15 + Math.floor(random() * 15));
      await cluster.start(member);
    }
  })();
  let last = 0;
  return {
    /** Before the last announcement: kills a follower and waits until it is gone. */
    beforeLast: async () => {
      await rolling;
      const leader = await cluster.leader();
      // A watcher's own member, so the last value lands while that watcher cannot see it.
      last =
        shuffled(
          homes.filter((m) => m !== leader),
          random,
        )[0] ?? 0;
      await cluster.stop(last, 'SIGKILL');
      stopped.push(last);
    },
    /** After the stream: restarts that follower; answers every member stopped. */
    finish: async () => {
      await cluster.start(last);
      return stopped;
    },
  };
}

describe('watchAndPull on a 3-member etcd cluster', () => {
  it.each(SEEDS)(
    'every watcher ends on the last of %i-seeded 200 announcements while members stop and restart',
    async (seed) => {
      const cluster = members.cluster;
      const random = prng(seed);
      const key = uniqueKey(`cluster-${seed}`);
      await announce(key, commits[0] ?? '');
      // Two watchers bound to one member each (their own), one knowing all three.
      const homes = shuffled([0, 1, 2], random).slice(0, 2);
      const nodes = await startWatchers(cluster, key, random, [...homes, undefined]);
      for (const n of nodes) (await n.handle.ready)._unsafeUnwrap();

      let sent = 0;
      let lastCommit = '';
      const disruption = chaos(cluster, random, () => sent, homes);
      for (; sent < ANNOUNCEMENTS; sent++) {
        if (sent === ANNOUNCEMENTS - 1) await disruption.beforeLast();
        lastCommit = commits[Math.floor(random() * commits.length)] ?? '';
        await announce(key, lastCommit);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 8)));
      }
      const stopped = await disruption.finish();
      await cluster.waitHealthy();

      const stored = (await getKey(announcer, key))._unsafeUnwrap().kv;
      expect(parseAnnouncement(stored?.value ?? Buffer.alloc(0))._unsafeUnwrap().commit).toBe(
        lastCommit,
      );
      // Commits repeat in the stream: the revision applied is what proves the last one was.
      await until(
        'every watcher on the last announcement',
        async () => {
          const served = await Promise.all(nodes.map((n) => n.served()));
          return (
            served.every((c) => c === lastCommit) &&
            nodes.every((n) => n.handle.status().revision === stored?.modRevision)
          );
        },
        30_000,
      );
      for (const n of nodes) {
        expect(n.handle.status()).toMatchObject({
          commit: lastCommit,
          revision: stored?.modRevision,
          healthy: true,
        });
        // Its own member was stopped at some point: every member was.
        expect(ofType(n.events, 'disconnected').length).toBeGreaterThan(0);
        expect(ofType(n.events, 'reconnected').length).toBeGreaterThan(0);
      }
      expect(new Set(stopped)).toEqual(new Set([0, 1, 2]));
    },
    90_000,
  );

  it('reports unhealthy while the whole cluster is down for 10 s, then publishes the latest', async () => {
    const cluster = members.cluster;
    const key = uniqueKey('cluster-down');
    await announce(key, commits[1] ?? '');
    const nodes = await startWatchers(cluster, key, prng(99), [undefined, undefined, undefined]);
    for (const n of nodes) (await n.handle.ready)._unsafeUnwrap();

    await cluster.stopAll();
    const downSince = Date.now();
    await until(
      'every node unhealthy',
      () => nodes.every((n) => !n.handle.status().healthy),
      5_000,
    );
    for (const n of nodes) {
      expect(ofType(n.events, 'health').at(-1)).toMatchObject({ healthy: false });
      const lastError = n.handle.status().lastError;
      expect(lastError?.kind, lastError?.message).toBe('EtcdUnreachable');
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downSince))));
    expect(nodes.every((n) => !n.handle.status().healthy)).toBe(true);
    await cluster.startAll();

    await announce(key, commits[2] ?? '');
    await until(
      'every node on the latest, healthy',
      async () => {
        const served = await Promise.all(nodes.map((n) => n.served()));
        return (
          served.every((c) => c === commits[2]) && nodes.every((n) => n.handle.status().healthy)
        );
      },
      30_000,
    );
    for (const n of nodes)
      expect(ofType(n.events, 'health').at(-1)).toMatchObject({ healthy: true });
  }, 90_000);
});
