// One etcd watch session, from an exact revision, that never reconnects on its own.
//
// etcd3 1.1.2 resumes a broken watch from `header.revision + 1` of the last response it saw, so a
// disconnect during a replay skips the rest of the replay; and a watch from a compacted revision
// resolves `create()` and is then cancelled with an empty reason. So a session here ends at the
// first disconnect or cancellation, and the caller decides where the next one starts.
import { etcdClientOf, type EtcdConnection } from './etcd';
import { toRevision } from './etcd-kv';

/** A change of a watched key. */
export interface KeyChange {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value (empty for a delete). */
  readonly value: Buffer;
  /** The revision of this change. */
  readonly modRevision: number;
}

/**
 * Why a session ended: the stream broke (`disconnected`), or etcd cancelled the watch
 * (`cancelled`: in practice the start revision was compacted away).
 */
export type WatchEnd = 'disconnected' | 'cancelled';

export interface WatchSessionHandlers {
  /** etcd accepted the watch: changes from the start revision on will follow, in order. */
  onCreated(): void;
  onChange(change: KeyChange): void;
  /** Called once; no handler is called after it. */
  onEnd(reason: WatchEnd, cause: unknown): void;
}

export interface WatchSessionTarget {
  /** Watch this key only … */
  readonly key?: string;
  /** … or every key under this prefix. */
  readonly prefix?: string;
}

export interface WatchSession {
  /** Ends the session without calling `onEnd`; settles within about two seconds whatever etcd does. */
  close(): Promise<void>;
}

const CANCEL_WAIT_MS = 2_000;

interface RawKv {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
}

/** Opens a watch from `startRevision` (inclusive) and reports until it ends or is closed. */
export function openWatchSession(
  connection: EtcdConnection,
  target: WatchSessionTarget,
  startRevision: number,
  handlers: WatchSessionHandlers,
): WatchSession {
  const builder = etcdClientOf(connection).watch();
  if (target.prefix !== undefined) builder.prefix(target.prefix);
  else builder.key(target.key ?? '');
  builder.startRevision(String(Math.max(1, startRevision)));
  // `watcher()` attaches at once; every listener is on before the stream can answer, so a
  // cancellation that arrives right behind the creation is never an unhandled 'error'.
  const watcher = builder.watcher();
  let ended = false;

  const change =
    (type: KeyChange['type']) =>
    (kv: RawKv): void => {
      if (ended) return;
      handlers.onChange({
        type,
        key: kv.key.toString('utf8'),
        value: type === 'put' ? kv.value : Buffer.alloc(0),
        modRevision: toRevision(kv.mod_revision),
      });
    };

  const detach = (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      watcher.cancel().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CANCEL_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const end = (reason: WatchEnd) => (cause: unknown) => {
    if (ended) return;
    ended = true;
    // Out of etcd3's list before its own reconnect timer fires: the caller resumes, not etcd3.
    void detach();
    handlers.onEnd(reason, cause);
  };

  watcher
    .on('connected', () => {
      if (!ended) handlers.onCreated();
    })
    .on('put', change('put'))
    .on('delete', change('delete'))
    .on('disconnected', end('disconnected'))
    .on('error', end('cancelled'));

  return {
    close: async () => {
      if (ended) return;
      ended = true;
      await detach();
    },
  };
}
