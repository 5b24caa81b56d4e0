import type { Readable } from 'node:stream';
import { clientOf, type DockerConnection } from '../docker/connection';
import { StreamDemuxer } from '../docker/demux';

/** When a service container counts as ready. */
export type Readiness =
  | {
      /** Ready when a GET of this URL answers 2xx or 3xx (or exactly `status`). */
      readonly http: string;
      readonly status?: number;
      readonly timeoutMs?: number;
    }
  | {
      /** Ready when a line of its stdout or stderr matches. */
      readonly logLine: RegExp;
      readonly timeoutMs?: number;
    };

export const DEFAULT_READINESS_TIMEOUT_MS = 30_000;

/** Why a wait ended without the container becoming ready. */
export type NotReady =
  { readonly why: 'timeout' } | { readonly why: 'exited'; readonly exitCode: number };

interface StateAnswer {
  State?: { Running?: boolean; ExitCode?: number };
}

async function exitedCode(docker: DockerConnection, id: string): Promise<number | undefined> {
  const answer = (await clientOf(docker).getContainer(id).inspect()) as StateAnswer;
  return answer.State?.Running ? undefined : (answer.State?.ExitCode ?? -1);
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

async function waitForHttp(
  docker: DockerConnection,
  id: string,
  check: { http: string; status?: number },
  signal: AbortSignal,
): Promise<NotReady | undefined> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const response = await fetch(check.http, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
        redirect: 'manual',
      });
      await response.body?.cancel();
      const ok =
        check.status !== undefined ? response.status === check.status : response.status < 400;
      if (ok) return undefined;
    } catch {
      // Not listening yet: look whether it is still running before asking again.
    }
    const code = await exitedCode(docker, id).catch(() => undefined);
    if (code !== undefined) return { why: 'exited', exitCode: code };
    await pause(Math.min(25 * 2 ** Math.min(attempt, 3), 200), signal);
  }
  return { why: 'timeout' };
}

async function waitForLogLine(
  docker: DockerConnection,
  id: string,
  pattern: RegExp,
  signal: AbortSignal,
): Promise<NotReady | undefined> {
  const stream = (await clientOf(docker)
    .getContainer(id)
    .logs({
      follow: true,
      stdout: true,
      stderr: true,
      abortSignal: signal,
    } as object as { follow: true })) as unknown as Readable;
  const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const partial = { stdout: '', stderr: '' };
  const found = await new Promise<boolean>((resolve) => {
    const demuxer = new StreamDemuxer((which, payload) => {
      const lines = (partial[which] + payload.toString('utf8')).split('\n');
      partial[which] = lines.pop() ?? '';
      if (lines.some((line) => matcher.test(line))) resolve(true);
    });
    stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
    stream.on('end', () => resolve(matcher.test(partial.stdout) || matcher.test(partial.stderr)));
    stream.on('error', () => resolve(false));
    signal.addEventListener('abort', () => resolve(false), { once: true });
  });
  stream.destroy();
  if (found) return undefined;
  if (signal.aborted) return { why: 'timeout' };
  const code = await exitedCode(docker, id).catch(() => -1);
  return code !== undefined ? { why: 'exited', exitCode: code } : { why: 'timeout' };
}

/** Waits until the container is ready; `undefined` when it is, else why not. Bounded by `signal`. */
export function waitUntilReady(
  docker: DockerConnection,
  id: string,
  readiness: Readiness,
  signal: AbortSignal,
): Promise<NotReady | undefined> {
  return 'http' in readiness
    ? waitForHttp(docker, id, readiness, signal)
    : waitForLogLine(docker, id, readiness.logLine, signal);
}
