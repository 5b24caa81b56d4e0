// Where a container target's scripts run, and for how long that place is kept: the `execIn`
// container, or the data container's helper (`<data>-berth-helper`, shared by every writer to
// that data container, in this process or another), through one script session.
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { DockerApiError, NotFoundError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { execInContainer, type ExecError, type ExecResult } from '../containers/exec';
import { ensureHelperContainer } from './helper-container';
import { ScriptSession } from './script-session';

export interface ScriptRunnerOptions {
  /** The data container the helper mounts. */
  readonly dataContainer: string;
  /** A running container to run in instead of the helper; it is never removed. */
  readonly execIn?: string;
  readonly helperImage?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Bound on each script. */
  readonly timeoutMs: number;
}

export interface ScriptRun {
  readonly body: string;
  /** The script's positional parameters. */
  readonly argv: readonly string[];
  readonly stdin?: AsyncIterable<Buffer> | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ScriptRunner {
  /**
   * Runs a script. A failure to run it at all (the input could not be produced, the session
   * broke, the helper is gone) is `broken(cause)` or the engine's error; after one, the next
   * script looks for the helper again (or makes it).
   */
  run<E>(
    script: ScriptRun,
    broken: (cause: unknown) => E,
  ): ResultAsync<ExecResult, E | ExecError | NotFoundError | DockerApiError>;
  /**
   * Ends the session once the work it left for after its last answer is done (pruning under the
   * volume's lock: killed there, the lock would stay for the next writer to wait 30 s on), then
   * removes the helper, unless another writer's script or session runs in it (say, a
   * `berth watch` beside a one-off publish): the last one to close removes it.
   */
  close(): ResultAsync<void, DockerApiError>;
}

/** How long close() waits for a script of its own still running in the helper. */
const SETTLE_MS = 30_000;

/** Inputs up to this size go through the session; larger ones get an exec of their own. */
const SESSION_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * The first `limit` bytes of `input`: the whole of it as one buffer when it is no longer (or
 * there is none), else a stream that yields what was read and then the rest.
 */
async function upTo(
  input: AsyncIterable<Buffer> | undefined,
  limit: number,
): Promise<{ whole: Buffer; stream?: never } | { whole?: never; stream: AsyncIterable<Buffer> }> {
  if (!input) return { whole: Buffer.alloc(0) };
  const iterator = input[Symbol.asyncIterator]();
  const read: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const next = await iterator.next();
    if (next.done) return { whole: Buffer.concat(read) };
    read.push(next.value);
    size += next.value.length;
  }
  return {
    stream: (async function* () {
      yield* read;
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        yield next.value;
    })(),
  };
}

export function scriptRunner(docker: DockerConnection, options: ScriptRunnerOptions): ScriptRunner {
  const { timeoutMs } = options;
  let runner: string | undefined = options.execIn;
  /** The helper last run in (close() removes it), and the execs this runner opened there. */
  let helper: string | undefined;
  const ownExecs = new Set<string>();
  let session: ScriptSession | undefined;
  const sessionIn = (id: string): ScriptSession => {
    if (session?.containerId !== id) {
      session?.close();
      session = new ScriptSession(docker, id);
    }
    return session;
  };
  const endSession = (how: 'close' | 'drain'): Promise<void> => {
    const ending = session;
    session = undefined;
    if (!ending) return Promise.resolve();
    for (const id of ending.execIds) ownExecs.add(id);
    if (how === 'drain') return ending.drain();
    ending.close();
    return Promise.resolve();
  };
  const place = (): ResultAsync<string, NotFoundError | DockerApiError> =>
    runner !== undefined
      ? okAsync(runner)
      : ensureHelperContainer(docker, {
          dataContainer: options.dataContainer,
          ...(options.helperImage !== undefined && { image: options.helperImage }),
          ...(options.labels && { labels: options.labels }),
        }).map((id) => (runner = helper = id));

  /**
   * The helper, inspected once no script of this runner runs there any more: one cut short (an
   * abort, a deadline) goes on in the container to its end, its commit point and the unlock
   * included, which removing the helper would cut. At most SETTLE_MS.
   */
  const settled = (id: string) => {
    const inspect = () =>
      dockerCall('inspect helper', () => clientOf(docker).getContainer(id).inspect());
    const deadline = Date.now() + SETTLE_MS;
    const look = (): ReturnType<typeof inspect> =>
      inspect().andThen((found) =>
        (found.ExecIDs ?? []).some((e) => ownExecs.has(e)) && Date.now() < deadline
          ? ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, 50))).andThen(look)
          : okAsync(found),
      );
    return look();
  };

  return {
    run: ({ body, argv, stdin, signal }, broken) =>
      place().andThen((id) =>
        // A small input (the hot path: a few changed files) goes through the session; a large
        // one streams through an exec of its own.
        ResultAsync.fromPromise(upTo(stdin, SESSION_INPUT_BYTES), broken)
          .andThen((input) =>
            input.whole
              ? ResultAsync.fromPromise(
                  sessionIn(id).run(body, argv, input.whole, { timeoutMs, signal }),
                  broken,
                )
              : execInContainer(docker, id, ['sh', '-c', body, 'berth', ...argv], {
                  timeoutMs,
                  stdin: input.stream,
                  ...(signal && { signal }),
                  onCreated: (exec) => ownExecs.add(exec),
                }),
          )
          .mapErr((error) => {
            // The helper may be gone (another process removed it, the engine restarted): the
            // next script looks for it, or makes it, again.
            void endSession('close');
            if (options.execIn === undefined) runner = undefined;
            return error;
          }),
      ),
    close: () => {
      const drained = ResultAsync.fromSafePromise(endSession('drain'));
      const id = helper;
      helper = undefined;
      if (options.execIn === undefined) runner = undefined;
      if (id === undefined) return drained;
      const client = clientOf(docker);
      return drained
        .andThen(() => settled(id))
        .andThen((found) => {
          const others = (found.ExecIDs ?? []).filter((e) => !ownExecs.has(e));
          if (others.length > 0) return okAsync(undefined);
          return dockerCall('remove helper', () =>
            client.getContainer(id).remove({ force: true }),
          ).map(() => undefined);
        })
        .orElse((e) => (e.statusCode === 404 ? okAsync(undefined) : errAsync(e)));
    },
  };
}
