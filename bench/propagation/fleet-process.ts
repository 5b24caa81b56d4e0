// The parent's side of fleet-watcher.ts: starts one node's watcher in a process of its own and
// hands out the synced events it reports, by revision.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchEvent } from '@berth/core';
import type { WatcherExtras } from './berth-single.ts';
import type { BenchContext } from './context.ts';
import type { WatcherJob, WatcherMessage } from './fleet-watcher.ts';
import { originUrl } from './origin.ts';

type Synced = Extract<WatchEvent, { type: 'synced' }>;

/** A synced event as a fleet node reported it, with the CPU its process spent on it. */
export interface ReportedSync {
  readonly synced: Synced;
  readonly cpuMs: number;
}

export interface WatcherProcess {
  synced(revision: number): Promise<ReportedSync>;
  /** Asks the watcher to stop and waits for its process to end. */
  stop(): Promise<void>;
}

const SCRIPT = join(import.meta.dirname, 'fleet-watcher.ts');
const START_TIMEOUT_MS = 60_000;

/**
 * Starts the watcher of the node whose /www is `dir` in a process of its own (with this process's
 * Node flags, so tsx loads it) and resolves once it is ready: first sync done, watch set up.
 */
export async function startWatcherProcess(
  ctx: BenchContext,
  key: string,
  nodeId: string,
  dir: string,
  extras: WatcherExtras,
): Promise<WatcherProcess> {
  const job: WatcherJob = {
    etcdEndpoint: ctx.etcdEndpoint,
    key,
    nodeId,
    url: originUrl(ctx),
    cacheDir: await mkdtemp(join(ctx.scratch, 'cache-')),
    dir,
    extras,
  };
  const child: ChildProcess = fork(SCRIPT, [JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seen = new Map<number, ReportedSync>();
  const waiting = new Map<
    number,
    { resolve: (s: ReportedSync) => void; reject: (e: Error) => void }
  >();
  void exited.then(() => {
    for (const [revision, w] of waiting)
      w.reject(new Error(`watcher ${nodeId} exited before it synced revision ${revision}`));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`watcher ${nodeId} not ready in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    child.on('message', (raw) => {
      const message = raw as WatcherMessage;
      if (message.type === 'ready') settle();
      else if (message.type === 'failed')
        settle(new Error(`watcher ${nodeId}: ${message.message}`));
      else {
        const reported = { synced: message.event as Synced, cpuMs: message.cpuMs };
        seen.set(reported.synced.revision, reported);
        waiting.get(reported.synced.revision)?.resolve(reported);
      }
    });
    void exited.then(() => settle(new Error(`watcher ${nodeId} exited before it was ready`)));
  });
  const stop = async () => {
    if (child.connected) child.send('stop');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await ready;
  } catch (cause) {
    child.kill('SIGKILL');
    await exited;
    throw cause;
  }
  return {
    synced: (revision) => {
      const known = seen.get(revision);
      return known
        ? Promise.resolve(known)
        : child.exitCode !== null || child.signalCode !== null
          ? Promise.reject(new Error(`watcher ${nodeId} has exited`))
          : new Promise((resolve, reject) => waiting.set(revision, { resolve, reject }));
    },
    stop,
  };
}
