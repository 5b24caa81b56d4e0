import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { berthError, describeCause } from '../errors';
import type { DockerConnection } from '../docker/connection';
import type { ExecResult } from '../containers/exec';
import { randomBytes } from 'node:crypto';
import { parseCheckOutput } from './container-check';
import { ManifestBuilder } from './manifest-builder';
import { serializeManifest, type ReleaseCheck, type ReleaseManifest } from './release-manifest';
import { scriptRunner } from './script-runner';
import {
  ACTIVATE_SCRIPT,
  CHECK_SCRIPT,
  EXIT_MISSING_RELEASE,
  EXIT_STATE_CHANGED,
  PRUNE_SCRIPT,
  ROLLBACK_SCRIPT,
  STAGE_SCRIPT,
  DISK_USAGE_SCRIPT,
  STATE_SCRIPT,
  parseDiskUsage,
  parseStateLine,
  prunedIn,
} from './release-script';
import { tarStream } from './tar-stream';
import { targetMountCheck } from './target-mounts';
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
 * remote engine too): every step is one small shell script, the new files going in as a tar on
 * its stdin. Scripts run through one long-lived `exec` (see `script-session.ts`), so the hot
 * path — stage a few changed files and swap — sends no request to the engine once it is open;
 * an input over 4 MB streams through an `exec` of its own. Where they run, and when the helper
 * goes, is `script-runner.ts`; `close()` ends the session and removes the helper, unless
 * another writer still runs in it.
 */
export function containerTarget(
  docker: DockerConnection,
  options: ContainerTargetOptions,
): ContentTarget {
  const description = `container ${options.container}:${options.path}`;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const runner = scriptRunner(docker, {
    dataContainer: options.container,
    timeoutMs,
    ...(options.execIn !== undefined && { execIn: options.execIn }),
    ...(options.helperImage !== undefined && { helperImage: options.helperImage }),
    ...(options.labels && { labels: options.labels }),
  });
  // What the last script saw: this target is normally the only writer, and each write checks it.
  let known: ReleaseState | undefined;
  /** Manifests of releases this target wrote or read: a stage over a base needs the base's. */
  const manifests = new Map<string, ReleaseManifest>();

  const invalid =
    !options.path.startsWith('/') || options.path.split('/').some((s) => s === '..')
      ? berthError.invalidInput({
          field: 'path',
          message: `${description}: path must be absolute, without ..`,
        })
      : undefined;

  const mounted = targetMountCheck(docker, options.container, options.path);
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
    const argv = [options.path, ...args];
    // The files could not be produced (a blob unreadable), or the session broke.
    const broken = (cause: unknown) =>
      berthError.targetIo({
        target: description,
        operation,
        message: `${description}: ${operation}: ${describeCause(cause)}`,
        cause,
      });
    // Checked before the first step: a path off the container's volumes would lose the content.
    return mounted()
      .andThen(() => runner.run({ body, argv, stdin, signal }, broken))
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

  const checkRelease = (
    commit: string,
    mode: 'cheap' | 'full' | 'manifest',
    signal?: AbortSignal,
  ): ResultAsync<ReleaseCheck, TargetError> => {
    if (!isReleaseName(commit)) {
      return errAsync(
        berthError.invalidInput({
          field: 'commit',
          message: `"${commit}" is not a full commit SHA`,
        }),
      );
    }
    return script(`check ${commit}`, CHECK_SCRIPT, [commit, mode], undefined, signal).map(
      ({ stdout }) => {
        const check = parseCheckOutput(stdout, commit, mode);
        if (check.manifest && check.verified) manifests.set(commit, check.manifest);
        else manifests.delete(commit);
        return check;
      },
    );
  };

  return {
    description,
    state: (o = {}) =>
      known !== undefined && o.fresh !== true
        ? okAsync(known)
        : script('read state', STATE_SCRIPT, [], undefined, o.signal).map((r) => r.state),
    check: (commit, o = {}) => checkRelease(commit, o.full === true ? 'full' : 'cheap', o.signal),
    diskUsage: (o = {}) =>
      script('disk usage', DISK_USAGE_SCRIPT, [], undefined, o.signal).map(
        ({ stdout }) => parseDiskUsage(stdout) ?? 0,
      ),
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
      const base = request.base;
      const baseManifest: ResultAsync<ReleaseManifest | undefined, TargetError> =
        base === undefined
          ? okAsync(undefined)
          : manifests.has(base)
            ? okAsync(manifests.get(base))
            : checkRelease(base, 'manifest', request.signal).andThen((c) =>
                c.manifest
                  ? okAsync(c.manifest)
                  : errAsync(
                      berthError.targetStateChanged({
                        target: description,
                        expected: request.expectActive,
                        found: undefined,
                        message: `${description}: base release ${base} is not a release (${c.problems.join('; ')})`,
                      }),
                    ),
              );
      return baseManifest.andThen((baseOf) => {
        const builder = new ManifestBuilder(request.commit, baseOf);
        for (const path of removals) builder.remove(path);
        let manifest: ReleaseManifest | undefined;
        const entryName = `.berth-manifest-${randomBytes(8).toString('hex')}`;
        const files = (async function* () {
          for await (const file of request.files) {
            builder.add(file);
            yield file;
          }
        })();
        const trailer = () => {
          manifest = builder.build();
          if (request.tree !== undefined && manifest.tree !== request.tree)
            throw new Error(
              `the staged files make tree ${manifest.tree}, expected ${request.tree}`,
            );
          return { path: entryName, content: Buffer.from(serializeManifest(manifest)) };
        };
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
            request.replaceExisting ? '1' : '0',
            entryName,
            ...removals,
          ],
          tarStream(files, request.mtime, counter, trailer),
          request.signal,
          request.expectActive,
        ).map(({ state, stdout }) => {
          const written = /^written$/m.test(stdout);
          if (written && manifest) manifests.set(request.commit, manifest);
          return { bytesSent: written ? counter.bytes : 0, written, state };
        });
      });
    },
    activate: (commit, o = {}) =>
      script(
        `activate ${commit}`,
        ACTIVATE_SCRIPT,
        [commit, String(o.keep ?? DEFAULT_KEEP), ...(o.expect ? [o.expect.active ?? '-'] : [])],
        undefined,
        o.signal,
        o.expect?.active,
      ).map((r) => r.state),
    rollback: (o = {}) =>
      script('rollback', ROLLBACK_SCRIPT, [], undefined, o.signal).map((r) => r.state),
    prune: (keep, o = {}) =>
      script('prune', PRUNE_SCRIPT, [String(keep)], undefined, o.signal).map((r) =>
        prunedIn(r.stdout),
      ),
    close: () => runner.close(),
  };
}
