import type { ResultAsync } from 'neverthrow';
import { errAsync, okAsync } from 'neverthrow';
import { berthError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { execInContainer, type ExecResult } from '../containers/exec';
import { ensureHelperContainer } from './helper-container';
import {
  ACTIVATE_SCRIPT,
  EXIT_MISSING_RELEASE,
  EXIT_STATE_CHANGED,
  PRUNE_SCRIPT,
  ROLLBACK_SCRIPT,
  STAGE_SCRIPT,
  STATE_SCRIPT,
  parseStateLine,
  prunedIn,
} from './release-script';
import { tarStream } from './tar-stream';
import {
  DEFAULT_KEEP,
  isReleaseName,
  type ContentTarget,
  type ReleaseState,
  type TargetError,
} from './target';

export interface ContainerTargetOptions {
  /** The data container (name or id) whose volume holds the content. */
  readonly container: string;
  /** The volume's path in it, e.g. `/www` or `/etc/nginx`. */
  readonly path: string;
  /**
   * Where the file operations run: a running container that mounts the volume (e.g. the nginx
   * service container), or, by default, a helper started with `--volumes-from` the data container.
   */
  readonly execIn?: string;
  /** The helper's image; default the data container's own image (needs sh, tar, cp, mv). */
  readonly helperImage?: string;
  /** Extra labels for the helper container. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Bound on each step; default 120 000 ms. */
  readonly timeoutMs?: number;
}

/** Paths past this many bytes of argv go as a full upload instead (argv has a size limit). */
const MAX_ARGV_BYTES = 64 * 1024;

/**
 * A content target inside a data container's volume, over the Docker API alone (so against a
 * remote engine too): every step is one `exec` of a small shell script, the new files streaming
 * in as a tar on its stdin. The hot path — stage a few changed files and swap — is one round trip.
 */
export function containerTarget(
  docker: DockerConnection,
  options: ContainerTargetOptions,
): ContentTarget {
  const description = `container ${options.container}:${options.path}`;
  const timeoutMs = options.timeoutMs ?? 120_000;
  let runner: string | undefined = options.execIn;
  // What the last script saw: this target is normally the only writer, and each write checks it.
  let known: ReleaseState | undefined;

  const invalid =
    !options.path.startsWith('/') || options.path.split('/').some((s) => s === '..')
      ? berthError.invalidInput({
          field: 'path',
          message: `${description}: path must be absolute, without ..`,
        })
      : undefined;

  const execContainer = (): ResultAsync<string, TargetError> =>
    runner !== undefined
      ? okAsync(runner)
      : ensureHelperContainer(docker, {
          dataContainer: options.container,
          ...(options.helperImage !== undefined && { image: options.helperImage }),
          ...(options.labels && { labels: options.labels }),
        }).map((id) => (runner = id));

  const fail = (operation: string, result: ExecResult, expected?: string): TargetError => {
    const stderr = result.stderr.trim();
    if (result.exitCode === EXIT_STATE_CHANGED) {
      const found = /active is '([0-9a-f]*)'/.exec(stderr)?.[1] || undefined;
      return berthError.targetStateChanged({
        target: description,
        expected,
        found,
        message: `${description}: ${stderr}`,
      });
    }
    if (result.exitCode === EXIT_MISSING_RELEASE) {
      return berthError.invalidInput({ field: 'commit', message: `${description}: ${stderr}` });
    }
    return berthError.targetIo({
      target: description,
      operation,
      message: `${description}: ${operation} failed (exit ${result.exitCode}): ${stderr || result.stdout.trim()}`,
    });
  };

  const script = (
    operation: string,
    body: string,
    args: readonly string[],
    stdin?: AsyncIterable<Buffer>,
    signal?: AbortSignal,
    expected?: string,
  ): ResultAsync<{ state: ReleaseState; stdout: string }, TargetError> => {
    if (invalid) return errAsync(invalid);
    return execContainer()
      .andThen((id) =>
        execInContainer(docker, id, ['sh', '-c', body, 'berth', options.path, ...args], {
          timeoutMs,
          ...(stdin && { stdin }),
          ...(signal && { signal }),
        }),
      )
      .andThen((result) => {
        if (result.exitCode !== 0) {
          known = undefined;
          return errAsync(fail(operation, result, expected));
        }
        const state = parseStateLine(result.stdout);
        known = state;
        return state
          ? okAsync({ state, stdout: result.stdout })
          : errAsync(
              fail(operation, { ...result, exitCode: -1, stderr: 'no state line in the output' }),
            );
      });
  };

  return {
    description,
    state: (o = {}) =>
      known !== undefined && o.fresh !== true
        ? okAsync(known)
        : script('read state', STATE_SCRIPT, [], undefined, o.signal).map((r) => r.state),
    stage: (request) => {
      if (!isReleaseName(request.commit)) {
        return errAsync(
          berthError.invalidInput({
            field: 'commit',
            message: `"${request.commit}" is not a full commit SHA`,
          }),
        );
      }
      const removals = [...request.deleted, ...request.replaced];
      const argvBytes = removals.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0);
      if (request.base !== undefined && argvBytes > MAX_ARGV_BYTES) {
        return errAsync(
          berthError.invalidInput({
            field: 'replaced',
            message: `${description}: ${removals.length} changed paths are too many for one step: publish without a base`,
          }),
        );
      }
      const counter = { bytes: 0 };
      const keep = String(request.activate?.keep ?? DEFAULT_KEEP);
      return script(
        `stage ${request.commit}`,
        STAGE_SCRIPT,
        [
          request.commit,
          request.base ?? '',
          request.expectActive ?? '',
          request.activate ? '1' : '0',
          keep,
          ...removals,
        ],
        tarStream(request.files, request.mtime, counter),
        request.signal,
        request.expectActive,
      ).map(({ state, stdout }) => {
        const written = /^written$/m.test(stdout);
        return { bytesSent: written ? counter.bytes : 0, written, state };
      });
    },
    activate: (commit, o = {}) =>
      script(
        `activate ${commit}`,
        ACTIVATE_SCRIPT,
        [commit, String(o.keep ?? DEFAULT_KEEP)],
        undefined,
        o.signal,
      ).map((r) => r.state),
    rollback: (o = {}) =>
      script('rollback', ROLLBACK_SCRIPT, [], undefined, o.signal).map((r) => r.state),
    prune: (keep, o = {}) =>
      script('prune', PRUNE_SCRIPT, [String(keep)], undefined, o.signal).map((r) =>
        prunedIn(r.stdout),
      ),
    close: () => {
      if (options.execIn !== undefined || runner === undefined) return okAsync(undefined);
      const id = runner;
      runner = undefined;
      return dockerCall('remove helper', () =>
        clientOf(docker).getContainer(id).remove({ force: true }),
      )
        .map(() => undefined)
        .orElse((e) => (e.statusCode === 404 ? okAsync(undefined) : errAsync(e)));
    },
  };
}
