/**
 * The progress deadline of a fetch: a transport that sends nothing for `idleMs` while berth
 * waits on it is given up, whatever time `timeoutMs` leaves. Only time spent waiting on the
 * server counts: a slow consumer (isomorphic-git indexing what it received) is not the server
 * stalling.
 */
import type { GitHttpResponse, HttpClient } from 'isomorphic-git';
import type {
  GitAuthError,
  GitFetchError,
  GitHostKeyChangedError,
  GitHostUnknownError,
} from '../errors';

/** A failure a transport knows better than the error isomorphic-git throws after it. */
export type TransportFailure =
  GitAuthError | GitFetchError | GitHostUnknownError | GitHostKeyChangedError;

/** A client for isomorphic-git and a way to let go of its connections. */
export interface ClientHandle {
  readonly client: HttpClient;
  close(): void;
  /** Set when the transport itself failed (SSH: host key, login, connection lost). */
  readonly failure?: () => TransportFailure | undefined;
}

/** A client whose waits are bounded by an idle deadline. */
export interface IdleWatchedClient extends ClientHandle {
  /** True once the idle deadline fired (and aborted the transport). */
  readonly idled: () => boolean;
}

/**
 * Opens a transport on a signal of its own that aborts when `signal` does or when a wait on the
 * server lasts `idleMs`.
 */
export function watchIdle(
  open: (signal: AbortSignal) => ClientHandle,
  signal: AbortSignal,
  idleMs: number,
): IdleWatchedClient {
  const idle = new AbortController();
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const inner = open(AbortSignal.any([signal, idle.signal]));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      idle.abort(new Error(`no data for ${idleMs} ms`));
    }, idleMs);
  };
  const disarm = () => clearTimeout(timer);
  const waiting = async <T>(wait: () => Promise<T>): Promise<T> => {
    arm();
    try {
      return await wait();
    } finally {
      disarm();
    }
  };
  const watchBody = (
    body: AsyncIterableIterator<Uint8Array>,
  ): AsyncIterableIterator<Uint8Array> => {
    const iterator = body[Symbol.asyncIterator]();
    const watched: AsyncIterableIterator<Uint8Array> = {
      next: () => waiting(() => iterator.next()),
      return: async (value?: unknown) =>
        iterator.return ? iterator.return(value) : { done: true, value: undefined },
      [Symbol.asyncIterator]: () => watched,
    };
    return watched;
  };
  return {
    client: {
      request: async (req) => {
        const response: GitHttpResponse = await waiting(() => inner.client.request(req));
        return response.body ? { ...response, body: watchBody(response.body) } : response;
      },
    },
    idled: () => fired,
    failure: () => inner.failure?.(),
    close: () => {
      disarm();
      inner.close();
    },
  };
}
