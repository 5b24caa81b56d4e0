// Private etcd clusters for tests: N members on loopback ports, each its own process and data
// directory, each stoppable and restartable on its own, the leader discoverable. Stopping waits
// on the process's /proc state: PID 1 here reaps orphans only every ~2 s, so "signalled" is not
// "stopped".
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const ETCD = process.env.BERTH_TEST_ETCD_BINARY ?? '/usr/bin/etcd';

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** The running process's id, undefined while stopped. */
  readonly pid: number | undefined;
}

export interface EtcdCluster {
  /** Every member's client URL, in member order. */
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdMember[];
  /** Stops member `index` (TERM, or KILL for a crash) and waits until its process is gone. */
  stop(index: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts member `index` again from its data directory and waits until it answers. */
  start(index: number): Promise<void>;
  stopAll(): Promise<void>;
  startAll(): Promise<void>;
  /** The index of the current leader, asked of the running members. */
  leader(timeoutMs?: number): Promise<number>;
  /** Waits until a running member reports the cluster healthy (a leader, a quorum). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every member and removes the data directories. */
  close(): Promise<void>;
}

/** Free loopback ports, bound and released (the kernel does not hand them out again at once). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Running: a /proc entry that is not a zombie or dead. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(1_000),
  });
  return response.json();
}

/** Starts a cluster of `size` members (1 or 3, usually) and waits until it is healthy. */
export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const root = await mkdtemp(join(tmpdir(), 'berth-etcd-cluster-'));
  const ports = await freePorts(size * 2);
  const token = `berth-test-${randomBytes(4).toString('hex')}`;
  const members = Array.from({ length: size }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(root, `m${i}`),
    pid: undefined as number | undefined,
    child: undefined as ChildProcess | undefined,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');

  const spawnMember = async (i: number) => {
    const m = members[i];
    if (!m) throw new Error(`no member ${i}`);
    if (m.pid !== undefined && running(m.pid)) return;
    await mkdir(m.dataDir, { recursive: true, mode: 0o700 });
    const log = openSync(join(root, `${m.name}.log`), 'a');
    const child = spawn(
      ETCD,
      [
        ...['--name', m.name, '--data-dir', m.dataDir],
        ...['--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl],
        ...['--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl],
        ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new'],
        ...['--initial-cluster-token', token],
        ...['--heartbeat-interval', '50', '--election-timeout', '300'],
        ...['--logger', 'zap', '--log-level', 'warn'],
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    child.on('error', () => undefined);
    m.child = child;
    m.pid = child.pid;
  };

  const healthyAt = async (url: string): Promise<boolean> => {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      return ((await response.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };
  const runningMembers = () => members.filter((m) => m.pid !== undefined && running(m.pid));

  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    get members() {
      return members.map(({ child: _child, ...m }) => m);
    },
    stop: async (index, signal = 'SIGTERM') => {
      const m = members[index];
      if (!m || m.pid === undefined) return;
      const pid = m.pid;
      if (running(pid)) process.kill(pid, signal);
      try {
        await until(`${m.name} (pid ${pid}) stopping`, 10_000, () => !running(pid));
      } catch {
        process.kill(pid, 'SIGKILL');
        await until(`${m.name} (pid ${pid}) killed`, 5_000, () => !running(pid));
      }
      m.pid = undefined;
      m.child = undefined;
    },
    start: async (index) => {
      await spawnMember(index);
      const m = members[index];
      // A member answers /health only with a quorum: wait for its client port instead.
      await until(`${m?.name} answering`, 15_000, async () => {
        try {
          await fetch(`${m?.clientUrl}/version`, { signal: AbortSignal.timeout(500) });
          return true;
        } catch {
          return false;
        }
      });
    },
    stopAll: async () => {
      await Promise.all(members.map((_, i) => cluster.stop(i)));
    },
    startAll: async () => {
      await Promise.all(members.map((_, i) => spawnMember(i)));
      await cluster.waitHealthy();
    },
    waitHealthy: (timeoutMs = 20_000) =>
      until('etcd cluster healthy', timeoutMs, async () => {
        for (const m of runningMembers()) if (await healthyAt(m.clientUrl)) return true;
        return false;
      }),
    leader: async (timeoutMs = 10_000) => {
      let found = -1;
      await until('etcd leader', timeoutMs, async () => {
        for (const [i, m] of members.entries()) {
          if (m.pid === undefined || !running(m.pid)) continue;
          try {
            const status = (await postJson(`${m.clientUrl}/v3/maintenance/status`, {})) as {
              header?: { member_id?: string };
              leader?: string;
            };
            if (
              status.leader &&
              status.leader !== '0' &&
              status.leader === status.header?.member_id
            ) {
              found = i;
              return true;
            }
          } catch {
            // not answering: ask the next one
          }
        }
        return false;
      });
      return found;
    },
    close: async () => {
      await cluster.stopAll().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((_, i) => spawnMember(i)));
    await cluster.waitHealthy();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** A cluster for the test file: started before its tests, stopped and removed after them. */
export function useEtcdCluster(size = 3): { readonly cluster: EtcdCluster } {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await startEtcdCluster(size);
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('useEtcdCluster(): the cluster exists only inside tests');
      return cluster;
    },
  };
}
