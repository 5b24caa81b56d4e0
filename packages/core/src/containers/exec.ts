import { Readable } from 'node:stream';
import { errAsync, type ResultAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type DockerApiError,
  type InvalidInputError,
  type TimeoutError,
} from '../errors';
import { toDockerApiError } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { StreamDemuxer } from '../docker/demux';
import { bounded } from '../util/bounded';
import { checkCommand } from './spec-checks';

export interface ExecOptions {
  /** Bound on the whole exec (create, start, run, exit). Default 30 000 ms. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly user?: string;
  /** Written to the command's stdin, which is then closed; an iterable streams with backpressure. */
  readonly stdin?: string | Buffer | AsyncIterable<Buffer>;
  readonly signal?: AbortSignal;
  /**
   * Told the exec's id once the engine made it: a command cut short by the signal or the
   * deadline goes on in the container, and a caller may want to wait for it (its id is listed
   * in the container's `ExecIDs` while it runs).
   */
  readonly onCreated?: (execId: string) => void;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type ExecError = InvalidInputError | DockerApiError | TimeoutError | AbortedError;

interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
}

/** Runs a command in a running container, like `docker exec`, with stdout and stderr apart. */
export function execInContainer(
  docker: DockerConnection,
  containerId: string,
  command: readonly string[],
  options: ExecOptions = {},
): ResultAsync<ExecResult, ExecError> {
  const checked = checkCommand(command, 'cmd');
  if (checked.isErr()) return errAsync(checked.error);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = clientOf(docker);
  const shown = JSON.stringify(command);
  const operation = `exec ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown} in ${containerId.slice(0, 12)}`;

  return bounded(
    { operation, timeoutMs, signal: options.signal },
    async (signal) => {
      const exec = await client.getContainer(containerId).exec({
        Cmd: checked.value,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: options.stdin !== undefined,
        ...(options.env && { Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`) }),
        ...(options.workingDir !== undefined && { WorkingDir: options.workingDir }),
        ...(options.user !== undefined && { User: options.user }),
      });
      options.onCreated?.(exec.id);
      const stream = await exec.start({
        hijack: true,
        stdin: options.stdin !== undefined,
      });
      const demuxer = new StreamDemuxer();
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          stream.destroy();
          reject(new Error('aborted'));
        };
        signal.addEventListener('abort', stop, { once: true });
        stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
        const input = options.stdin;
        if (typeof input === 'string' || Buffer.isBuffer(input)) stream.end(input);
        else if (input !== undefined) {
          const source = Readable.from(input);
          source.on('error', (cause) => {
            stream.destroy();
            reject(cause);
          });
          source.pipe(stream);
        }
      });
      // The stream ends as the process exits; the engine may need a moment to record the code.
      let state = (await exec.inspect()) as ExecInspect;
      while (state.Running || state.ExitCode === null) {
        if (signal.aborted) throw new Error('aborted');
        await new Promise((r) => setTimeout(r, 10));
        state = await exec.inspect();
      }
      return {
        exitCode: state.ExitCode,
        stdout: demuxer.text('stdout'),
        stderr: demuxer.text('stderr'),
      };
    },
    (cause) => toDockerApiError(operation, cause),
  );
}

/** Docker's signal names, with or without `SIG`. */
const SIGNAL = /^(SIG)?[A-Z0-9+-]{2,12}$|^\d{1,2}$/;

export function checkSignal(name: unknown): InvalidInputError | undefined {
  return typeof name === 'string' && SIGNAL.test(name)
    ? undefined
    : berthError.invalidInput({
        field: 'signal',
        message: `"${String(name)}" is not a signal name (e.g. SIGHUP, HUP, 1)`,
      });
}
