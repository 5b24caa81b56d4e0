// What a node waiting for the elected node's change listens to: a put of the carried key (the
// change is there) and a delete of the election lock (its holder let go, or died and its lease
// ran out). Watched from a revision the node has read, so nothing in between is missed; a
// waiting node makes no request to etcd until one of them happens.
import { openWatchSession, type WatchSession } from './etcd-watch';
import type { EtcdConnection } from './etcd';

/** Why {@link ElectionWake.next} returned. */
export type Wake = 'carried' | 'lock-released' | 'timeout' | 'watch-lost' | 'aborted';

export interface ElectionWake {
  /** Resolves with the first thing that happened since the last call, or `timeout` after `ms`. */
  next(ms: number, signal: AbortSignal): Promise<Wake>;
  close(): Promise<void>;
}

export function watchElection(
  etcd: EtcdConnection,
  keys: { readonly carried: string; readonly lock: string },
  fromRevision: number,
): ElectionWake {
  const pending: Wake[] = [];
  let wakeUp: (() => void) | undefined;
  const push = (wake: Wake) => {
    pending.push(wake);
    wakeUp?.();
  };
  const sessions: WatchSession[] = [
    openWatchSession(etcd, { key: keys.carried }, fromRevision, {
      onCreated: () => {},
      onChange: (change) => {
        if (change.type === 'put') push('carried');
      },
      onEnd: () => push('watch-lost'),
    }),
    openWatchSession(etcd, { key: keys.lock }, fromRevision, {
      onCreated: () => {},
      onChange: (change) => {
        if (change.type === 'delete') push('lock-released');
      },
      onEnd: () => push('watch-lost'),
    }),
  ];
  return {
    next: (ms, signal) =>
      new Promise<Wake>((resolve) => {
        const settle = (wake: Wake) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          wakeUp = undefined;
          resolve(wake);
        };
        const onAbort = () => settle('aborted');
        const timer = setTimeout(() => settle('timeout'), Math.max(0, ms));
        if (signal.aborted) return settle('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        const take = () => {
          // A lost watch outranks the rest: the caller then polls.
          const wake = pending.includes('watch-lost') ? 'watch-lost' : pending[0];
          pending.length = 0;
          if (wake !== undefined) settle(wake);
        };
        wakeUp = take;
        take();
      }),
    close: async () => {
      await Promise.all(sessions.map((s) => s.close()));
    },
  };
}
