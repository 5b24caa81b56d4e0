/**
 * git over SSH without an `ssh` binary: ssh2 runs `git-upload-pack '<path>'` on the server, and
 * this client answers isomorphic-git's two smart-HTTP requests from that one session.
 *
 * - `GET …/info/refs?service=git-upload-pack`: the ref advertisement upload-pack sends first
 *   (up to its flush), behind the `# service=git-upload-pack` line and flush smart HTTP adds.
 * - `POST …/git-upload-pack`: the request (wants, shallows, deepen, flush, haves, done) written
 *   whole to the session; what upload-pack answers (shallow lines and flush after the client's
 *   flush, then ACK/NAK, then the side-band pack) is exactly what `http-backend` would answer,
 *   so it is streamed back unchanged.
 *
 * Host keys are checked before anything is sent (`known-hosts.ts`); a failure of the
 * session is kept as a typed error for the fetch to report, since isomorphic-git only sees a
 * stream that ended.
 */
import type { HttpClient } from 'isomorphic-git';
// ssh2 is CommonJS: its named exports exist only on the default export under Node's ESM.
import type { Client, ClientChannel } from 'ssh2';
import { ssh2 } from '../util/dependencies';
import {
  berthError,
  describeCause,
  type GitAuthError,
  type GitFetchError,
  type GitHostKeyChangedError,
  type GitHostUnknownError,
} from '../errors';
import { askForThinPack } from './http';
import type { ClientHandle } from './idle';
import { hostKeyAlgorithms, knownHostsName } from './known-hosts';
import { authMethods, type SshLogin } from './ssh-auth';
import { hostKeyVerifier, type HostTrust } from './ssh-host-check';
import { SERVICE_LINE, scanToFlush } from './pkt-line';
import { connected, endConnection, keepIdle, poolKey, takeIdle } from './ssh-pool';

/** What a session can fail with, beyond what isomorphic-git itself reports. */
export type SshFailure =
  GitAuthError | GitFetchError | GitHostUnknownError | GitHostKeyChangedError;

/** Where to connect, what to run git-upload-pack on, and what to trust. */
export interface SshTarget extends HostTrust {
  readonly path: string;
}

/** The client, and the typed failure of its session when there was one. */
export interface SshClientHandle extends ClientHandle {
  readonly failure: () => SshFailure | undefined;
}

const MAX_STDERR = 4096;

function quoted(path: string): string {
  // url.ts refuses quotes in paths; this is the same quoting git's ssh transport uses.
  return `'${path}'`;
}

/** An SSH session answering isomorphic-git's requests; nothing connects until the first one. */
export function sshClient(
  target: SshTarget,
  login: SshLogin,
  signal: AbortSignal,
): SshClientHandle {
  const { url } = target;
  const key = poolKey(
    target.host,
    target.port,
    login,
    target.known,
    target.pinned,
    Boolean(target.acceptNew),
  );
  let conn: Client | undefined;
  let channel: ClientChannel | undefined;
  let failure: SshFailure | undefined;
  let closing = false;
  let exitCode: number | null | undefined;
  let channelClosed = false;
  let stderr = '';
  let session:
    Promise<{ channel: ClientChannel; next: () => Promise<Buffer | undefined> }> | undefined;
  let leftover: Buffer = Buffer.alloc(0);
  const fail = (error: SshFailure) => {
    failure ??= error;
  };
  const hostName = knownHostsName(target.host, target.port);
  // ssh2's end() half-closes the socket, after which destroy() does nothing: a cut-off fetch
  // destroys, a finished one says goodbye (or goes back to the pool).
  const stop = () => {
    closing = true;
    conn?.destroy();
  };
  signal.addEventListener('abort', stop, { once: true });

  const verify = hostKeyVerifier(target, fail);

  type Settle = {
    resolve: (s: { channel: ClientChannel; next: () => Promise<Buffer | undefined> }) => void;
    reject: (e: unknown) => void;
  };
  const onError = (error: Error & { level?: string }) => {
    if (error.level === 'client-authentication') {
      fail(
        berthError.gitAuth({
          url,
          message: `${hostName} refused every key offered for ${login.username} (${login.agent ? 'agent, ' : ''}${login.keys.length} key(s))`,
        }),
      );
    } else if (!closing) {
      fail(
        berthError.gitFetch({
          url,
          reason: 'unreachable',
          message: `ssh to ${hostName} failed: ${describeCause(error)}`,
          cause: error,
        }),
      );
    }
    settle?.reject(error);
  };
  const onClose = () => {
    if (!closing && exitCode === undefined) {
      fail(
        berthError.gitFetch({
          url,
          reason: 'unreachable',
          message: `the ssh connection to ${hostName} closed before the fetch finished`,
        }),
      );
    }
    settle?.reject(new Error('ssh connection closed'));
  };
  let settle: Settle | undefined;
  const attach = (c: Client) => {
    conn = c;
    c.on('error', onError);
    c.once('close', onClose);
  };
  const detach = (c: Client) => {
    c.removeListener('error', onError);
    c.removeListener('close', onClose);
  };

  const exec = (c: Client, pooled: boolean) => {
    c.exec(`git-upload-pack ${quoted(target.path)}`, (error, opened) => {
      if (error) {
        if (pooled) {
          // A kept connection the server has since dropped: start a fresh one.
          detach(c);
          endConnection(c);
          fresh();
          return;
        }
        fail(
          berthError.gitFetch({
            url,
            reason: 'protocol',
            message: `${hostName} would not run git-upload-pack: ${describeCause(error)}`,
            cause: error,
          }),
        );
        settle?.reject(error);
        return;
      }
      channel = opened;
      opened.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
      });
      opened.on('close', () => {
        channelClosed = true;
      });
      opened.on('exit', (code: number | null) => {
        exitCode = code;
        if (code !== 0 && code !== null) {
          const said = stderr.trim().split('\n')[0] ?? '';
          fail(
            berthError.gitFetch({
              url,
              reason: /not .*a git repository|not found|does not exist/i.test(said)
                ? 'not-a-repository'
                : 'protocol',
              message: `git-upload-pack on ${hostName} exited with ${code}${said ? `: ${said}` : ''}`,
            }),
          );
        }
      });
      const iterator = opened[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      settle?.resolve({
        channel: opened,
        next: async () => {
          const step: IteratorResult<Buffer> = await iterator.next();
          return step.done ? undefined : step.value;
        },
      });
    });
  };

  const fresh = () => {
    const c = new (ssh2().Client)();
    attach(c);
    c.once('ready', () => {
      connected(c);
      exec(c, false);
    });
    const algorithms = hostKeyAlgorithms(target.known);
    c.connect({
      host: target.host,
      port: target.port,
      username: login.username,
      hostVerifier: verify,
      authHandler: authMethods(login),
      ...(algorithms.length > 0 && target.pinned.length === 0
        ? { algorithms: { serverHostKey: algorithms as never } }
        : {}),
      readyTimeout: 0,
      keepaliveInterval: 0,
    });
  };

  const open = () =>
    (session ??= new Promise((resolve, reject) => {
      settle = { resolve, reject };
      const pooled = takeIdle(key);
      if (pooled) {
        attach(pooled);
        exec(pooled, true);
      } else fresh();
    }));

  /** After the fetch: a connection whose upload-pack exited cleanly is kept for the next one. */
  const release = () => {
    const c = conn;
    if (!c) return;
    const cleanly = !signal.aborted;
    const finish = () => {
      detach(c);
      if (cleanly && exitCode === 0 && failure === undefined) keepIdle(key, c);
      else endConnection(c);
    };
    if (channelClosed || !channel) {
      finish();
      return;
    }
    // upload-pack may still be sending its exit status; one that never got a request needs EOF.
    channel.end();
    const timer = setTimeout(() => {
      exitCode = undefined;
      finish();
    }, 2_000).unref();
    channel.once('close', () => {
      clearTimeout(timer);
      finish();
    });
  };

  /** The ref advertisement: pkt-lines up to and including the first flush. */
  const advertisement = async (): Promise<Buffer> => {
    const { next } = await open();
    let buffer = leftover;
    let offset = 0;
    for (;;) {
      const scanned = scanToFlush(buffer, offset);
      if (scanned.flushEnd !== undefined) {
        leftover = buffer.subarray(scanned.flushEnd);
        return buffer.subarray(0, scanned.flushEnd);
      }
      offset = scanned.offset;
      const chunk = await next();
      if (chunk === undefined) {
        const said = stderr.trim().split('\n')[0];
        fail(
          berthError.gitFetch({
            url,
            reason: 'not-a-repository',
            message: `${url}: git-upload-pack sent no refs${said ? `: ${said}` : ''}`,
          }),
        );
        throw new Error('git-upload-pack ended before its ref advertisement');
      }
      buffer = Buffer.concat([buffer, chunk]);
    }
  };

  async function* rest(): AsyncGenerator<Uint8Array> {
    const { next } = await open();
    if (leftover.length > 0) yield leftover;
    leftover = Buffer.alloc(0);
    for (;;) {
      const chunk = await next();
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  async function* once(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
    yield await Promise.resolve(chunk);
  }

  const client: HttpClient = {
    request: async (req) => {
      const headers = { 'content-type': 'application/x-git-upload-pack-advertisement' };
      if (req.method !== 'POST' && req.url.endsWith('/info/refs?service=git-upload-pack')) {
        const refs = await advertisement();
        const body = once(Buffer.concat([SERVICE_LINE, refs]));
        return { url: req.url, method: 'GET', statusCode: 200, statusMessage: 'OK', headers, body };
      }
      if (req.method === 'POST' && req.url.endsWith('/git-upload-pack')) {
        const { channel } = await open();
        const chunks: Uint8Array[] = [];
        for await (const chunk of req.body ?? []) chunks.push(chunk);
        channel.write(Buffer.concat(askForThinPack(chunks)));
        return {
          url: req.url,
          method: 'POST',
          statusCode: 200,
          statusMessage: 'OK',
          headers: { 'content-type': 'application/x-git-upload-pack-result' },
          body: rest(),
        };
      }
      return {
        url: req.url,
        method: req.method ?? 'GET',
        statusCode: 501,
        statusMessage: 'berth speaks only git-upload-pack over ssh',
        headers: {},
        body: once(new Uint8Array()),
      };
    },
  };

  return {
    client,
    failure: () => failure,
    close: () => {
      if (closing) return;
      signal.removeEventListener('abort', stop);
      closing = true;
      release();
    },
  };
}
