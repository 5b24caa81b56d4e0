// What every command gets: the io, the global options, and the connections built from them.
import type {
  connectDocker,
  connectEtcd,
  ConnectDockerError,
  ConnectEtcdError,
  DockerConnection,
  EtcdConnection,
} from '@berth/core';
import { ResultAsync } from 'neverthrow';
import type { CliFailure } from './failure';
import type { CliIo } from './io';
import { progressLine, type ProgressLine } from './render/progress';

/** What the context connects with: the library's connectors. */
export interface Connectors {
  readonly connectDocker: typeof connectDocker;
  readonly connectEtcd: typeof connectEtcd;
  /** connectDocker's own bound on the engine's first ping. */
  readonly DOCKER_PING_TIMEOUT_MS: number;
}

/**
 * The whole library, loaded when a command first connects (not by `berth --help`). The
 * `berth name` fast path gives only the connectors it bundled instead (fast-name.ts).
 */
export const wholeLibrary = (): Promise<Connectors> => import('@berth/core');

/** The options every command takes (`berth --help` lists them). */
export interface GlobalOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  /** `--timeout`: how long the command's work (or `deploy --wait`'s wait) may take. */
  readonly timeoutMs: number | undefined;
  /** `--docker-host`: wins over `DOCKER_HOST`, contexts and the sockets. */
  readonly dockerHost: string | undefined;
}

export function globalOptions(raw: Record<string, unknown>): GlobalOptions {
  return {
    json: raw.json === true,
    quiet: raw.quiet === true,
    timeoutMs: typeof raw.timeout === 'number' ? raw.timeout : undefined,
    dockerHost: typeof raw.dockerHost === 'string' ? raw.dockerHost : undefined,
  };
}

/** A deadline for one command: a signal that fires on Ctrl-C or when `--timeout` runs out. */
export interface Deadline {
  readonly signal: AbortSignal | undefined;
  /** Turns the `Aborted` the deadline caused into a `Timeout` naming the operation. */
  readonly explain: <F extends CliFailure>(failure: F) => F | CliFailure;
}

export interface CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  /** A note for people on stderr (dropped with `--quiet`). */
  note(text: string): void;
  /** A progress line on stderr: drawn on a terminal, silent otherwise and with `--quiet`. */
  progress(): ProgressLine;
  /** `--timeout` (or `defaultMs`) as a deadline, joined with the interrupt signal. */
  deadline(operation: string, defaultMs?: number): Deadline;
  docker(): ResultAsync<DockerConnection, ConnectDockerError>;
  etcd(endpoints: readonly string[] | undefined): ResultAsync<EtcdConnection, ConnectEtcdError>;
  /** Connects to etcd, runs `work` on it, and closes the connection however `work` ends. */
  withEtcd<T, E>(
    endpoints: readonly string[] | undefined,
    work: (etcd: EtcdConnection) => ResultAsync<T, E>,
  ): ResultAsync<T, E | ConnectEtcdError>;
}

/** A context, and `close` to clear whatever progress it drew before the result is printed. */
export function commandContext(
  io: CliIo,
  globals: GlobalOptions,
  loadConnectors: () => Promise<Connectors>,
): CommandContext & { close(): void } {
  const library = () => ResultAsync.fromSafePromise(loadConnectors());
  const lines: ProgressLine[] = [];
  const etcd = (endpoints: readonly string[] | undefined) =>
    library().andThen(({ connectEtcd }) =>
      connectEtcd({
        env: io.env,
        ...(endpoints && endpoints.length > 0 && { endpoints }),
        ...(io.signal && { signal: io.signal }),
      }),
    );
  return {
    close: () => lines.forEach((line) => line.clear()),
    io,
    globals,
    note: (text) => {
      if (!globals.quiet) io.stderr(`${text}\n`);
    },
    progress: () => {
      const line = progressLine({
        write: io.stderr,
        enabled: io.isTTY === true && !globals.quiet,
        columns: io.columns ?? 80,
      });
      lines.push(line);
      return line;
    },
    deadline: (operation, defaultMs) => {
      const timeoutMs = globals.timeoutMs ?? defaultMs;
      const timer = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
      const signals = [io.signal, timer].filter((s): s is AbortSignal => s !== undefined);
      return {
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
        explain: (failure) =>
          failure.kind === 'Aborted' && timer?.aborted && !io.signal?.aborted
            ? {
                kind: 'Timeout',
                operation,
                timeoutMs,
                message: `${operation} did not finish within ${timeoutMs} ms (--timeout)`,
              }
            : failure,
      };
    },
    docker: () =>
      library().andThen(({ connectDocker, DOCKER_PING_TIMEOUT_MS }) =>
        connectDocker({
          env: io.env,
          ...(globals.dockerHost !== undefined && { host: globals.dockerHost }),
          // --timeout bounds the engine's first ping too (never longer than its own bound).
          ...(globals.timeoutMs !== undefined && {
            timeoutMs: Math.min(globals.timeoutMs, DOCKER_PING_TIMEOUT_MS),
          }),
          ...(io.signal && { signal: io.signal }),
        }),
      ),
    etcd,
    withEtcd: (endpoints, work) =>
      etcd(endpoints).andThen(
        (connection) =>
          new ResultAsync(Promise.resolve(work(connection)).finally(() => connection.close())),
      ),
  };
}
