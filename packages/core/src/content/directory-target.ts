import { randomBytes } from 'node:crypto';
import {
  link,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ResultAsync, errAsync } from 'neverthrow';
import { berthError, describeCause, type TargetIoError } from '../errors';
import { isNotFound, listOrEmpty } from '../util/fs-errors';
import {
  DEFAULT_KEEP,
  isReleaseName,
  type ActivateOptions,
  type ContentTarget,
  type ReleaseState,
  type StageReport,
  type StageRequest,
  type TargetError,
} from './target';

/** Hard links made at once while copying a release (they overlap on libuv's threads). */
const LINK_BATCH = 32;

/**
 * A content target on a local path: for a watcher that runs where the volumes are mounted
 * (inside a container started with `--volumes-from www-content`, or on the Docker host).
 * Same layout and the same atomic swap as the container target, with plain file-system calls.
 */
export function directoryTarget(dir: string): ContentTarget {
  const description = `directory ${dir}`;
  const berth = join(dir, '.berth');
  const releases = join(berth, 'releases');
  const staging = join(berth, 'staging');

  const io =
    (operation: string) =>
    (cause: unknown): TargetIoError =>
      berthError.targetIo({
        target: description,
        operation,
        message: `${description}: ${operation}: ${describeCause(cause)}`,
        cause,
      });

  const linkName = async (path: string): Promise<string | undefined> => {
    try {
      const target = await readlink(path);
      const name = target.split('/').pop() ?? '';
      return isReleaseName(name) ? name : undefined;
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw cause;
    }
  };

  let known: ReleaseState | undefined;

  /**
   * The target is not as this step found it (someone else wrote meanwhile): forget what was
   * remembered; the publisher looks again with `fresh`.
   */
  const stale = (message: string, found: string | undefined) => {
    known = undefined;
    return Object.assign(new Error(message), { code: 'ESTATE', found });
  };

  const readState = async (): Promise<ReleaseState> => {
    const [active, previous] = await Promise.all([
      linkName(join(dir, 'current')),
      linkName(join(berth, 'previous')),
    ]);
    const names = (await listOrEmpty(releases)).filter(isReleaseName);
    const dated = await Promise.all(
      names.map(async (n) => ({ n, t: (await lstat(join(releases, n))).mtimeMs })),
    );
    known = {
      ...(active && { active }),
      ...(previous && { previous }),
      releases: dated.sort((a, b) => b.t - a.t).map((d) => d.n),
    };
    return known;
  };

  /**
   * What this target's own last step saw or did. A publish reads the state, stages, then
   * activates: each step starts from here instead of reading the directory again, and the one
   * fact another writer could change under us — which release is active — is read from disk
   * before anything is written (a stale answer then fails as `TargetStateChanged`, and the
   * publisher looks again with `fresh`).
   */
  const current = async (): Promise<ReleaseState> => {
    if (!known) return readState();
    const active = await linkName(join(dir, 'current'));
    return active === known.active ? known : readState();
  };

  /** Replaces `path` with a symlink to `target` by rename: readers see the old link or the new one. */
  const swapLink = async (path: string, target: string) => {
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await symlink(target, temp);
    await rename(temp, path);
  };

  const doActivate = async (commit: string, keep: number): Promise<ReleaseState> => {
    let before = await current();
    // Never point `current` at a directory that is not there, whatever we remember.
    const present = await lstat(join(releases, commit)).then(
      (stat) => stat.isDirectory(),
      () => false,
    );
    if (!present || !before.releases.includes(commit)) before = await readState();
    if (!before.releases.includes(commit))
      throw Object.assign(new Error(`no complete release ${commit}`), { code: 'ENORELEASE' });
    const previous = before.active !== commit ? before.active : before.previous;
    if (before.active !== commit) {
      await swapLink(join(dir, 'current'), `.berth/releases/${commit}`);
      if (before.active) await swapLink(join(berth, 'previous'), `releases/${before.active}`);
    }
    const now = new Date();
    await utimes(join(releases, commit), now, now);
    // The order readState would find: the release just activated is the newest.
    const swapped: ReleaseState = {
      active: commit,
      ...(previous && { previous }),
      releases: [commit, ...before.releases.filter((n) => n !== commit)],
    };
    await doPrune(keep, swapped);
    prepareNext(commit);
    return known ?? swapped;
  };

  /**
   * A copy (hard links) of the release just activated, made in the background for the next
   * stage, which then only removes and writes what changed: linking a whole tree is most of a
   * small update's work. It lives in staging (never served); anything that clears staging
   * waits for it first.
   */
  let prepared: { base: string; path: string; ready: Promise<Set<string> | undefined> } | undefined;
  const prepareNext = (base: string) => {
    const path = join(staging, `next.${base}.${randomBytes(4).toString('hex')}`);
    const ready = mkdir(staging, { recursive: true })
      .then(() => linkTree(join(releases, base), path))
      .catch(() => undefined);
    prepared = { base, path, ready };
  };
  const takePrepared = async (base: string) => {
    const taken = prepared;
    if (!taken || taken.base !== base) return undefined;
    prepared = undefined;
    const made = await taken.ready;
    return made ? { path: taken.path, made } : undefined;
  };
  const settlePrepared = async () => {
    await prepared?.ready;
    prepared = undefined;
  };

  const doPrune = async (keep: number, seen?: ReleaseState): Promise<string[]> => {
    const state = seen ?? (await readState());
    const protectedNames = new Set([state.active, state.previous].filter(Boolean));
    const removable = state.releases
      .filter((n) => !protectedNames.has(n))
      .slice(Math.max(0, keep - protectedNames.size));
    for (const name of removable) await rm(join(releases, name), { recursive: true, force: true });
    await settlePrepared();
    await rm(staging, { recursive: true, force: true });
    known = { ...state, releases: state.releases.filter((n) => !removable.includes(n)) };
    return removable;
  };

  /**
   * `cp -al`: the same tree of directories, each file a hard link to the base's. The entries of
   * a directory are linked a batch at a time (the file system calls overlap on libuv's threads).
   * Returns the directories made, so writing a file into one needs no `mkdir`.
   */
  const linkTree = async (from: string, to: string, made = new Set<string>()) => {
    await mkdir(to);
    made.add(to);
    const entries = await readdir(from, { withFileTypes: true });
    for (let i = 0; i < entries.length; i += LINK_BATCH) {
      await Promise.all(
        entries.slice(i, i + LINK_BATCH).map(async (entry) => {
          const source = join(from, entry.name);
          const destination = join(to, entry.name);
          if (entry.isDirectory()) await linkTree(source, destination, made);
          else if (entry.isSymbolicLink()) await symlink(await readlink(source), destination);
          else await link(source, destination);
        }),
      );
    }
    return made;
  };

  const doStage = async (request: StageRequest): Promise<StageReport> => {
    const state = await current();
    if (state.active !== request.expectActive) {
      throw stale('state changed', state.active);
    }
    let bytesSent = 0;
    let written = false;
    if (!state.releases.includes(request.commit)) {
      // A name nobody else uses: nothing to clear first.
      let work = join(staging, `${request.commit}.${randomBytes(4).toString('hex')}`);
      await mkdir(staging, { recursive: true });
      let made = new Set<string>();
      const early = request.base !== undefined ? await takePrepared(request.base) : undefined;
      if (early) {
        // The base was linked ahead, after the last activation: only the changes are left.
        work = early.path;
        made = early.made;
      } else if (request.base !== undefined) {
        const gone = () => stale(`base release ${request.base} is gone`, state.active);
        if (!state.releases.includes(request.base)) throw gone();
        made = await linkTree(join(releases, request.base), work).catch((cause: unknown) => {
          // The base went away after we last looked: someone else pruned it.
          throw isNotFound(cause) ? gone() : cause;
        });
      } else {
        await mkdir(work);
        made.add(work);
      }
      for (const path of [...request.deleted, ...request.replaced]) {
        const gone = join(work, path);
        await rm(gone, { recursive: true, force: true });
        for (const d of made) if (d === gone || d.startsWith(`${gone}/`)) made.delete(d);
      }
      for await (const file of request.files) {
        request.signal?.throwIfAborted();
        const target = join(work, file.path);
        const parent = dirname(target);
        if (!made.has(parent)) {
          await mkdir(parent, { recursive: true });
          made.add(parent);
        }
        if (file.kind === 'symlink') {
          await symlink(file.content.toString('utf8'), target);
        } else {
          await writeFile(target, file.content, {
            mode: file.kind === 'executable' ? 0o755 : 0o644,
          });
          await utimes(target, request.mtime, request.mtime);
        }
        bytesSent += file.content.length;
      }
      await mkdir(releases, { recursive: true });
      await rename(work, join(releases, request.commit)).catch((cause: unknown) => {
        const code = (cause as NodeJS.ErrnoException).code;
        // Someone else completed that release since we last looked.
        throw code === 'ENOTEMPTY' || code === 'EEXIST'
          ? stale(`release ${request.commit} appeared meanwhile`, state.active)
          : cause;
      });
      written = true;
      known = { ...state, releases: [request.commit, ...state.releases] };
    }
    const after = request.activate
      ? await doActivate(request.commit, request.activate.keep ?? DEFAULT_KEEP)
      : await current();
    return { bytesSent, written, state: after };
  };

  const run = <T>(operation: string, work: () => Promise<T>): ResultAsync<T, TargetError> =>
    ResultAsync.fromPromise(work(), (cause): TargetError => {
      const error = cause as NodeJS.ErrnoException & { found?: string };
      if (error.code === 'ESTATE') {
        return berthError.targetStateChanged({
          target: description,
          expected: undefined,
          found: error.found,
          message: `${description}: ${error.message}`,
        });
      }
      if (error.code === 'ENORELEASE')
        return berthError.invalidInput({
          field: 'commit',
          message: `${description}: ${error.message}`,
        });
      if (error.name === 'AbortError')
        return berthError.aborted({ operation, message: `${operation} was aborted`, cause });
      return io(operation)(cause);
    });

  return {
    description,
    state: (options) => run('read state', options?.fresh ? readState : current),
    stage: (request) =>
      isReleaseName(request.commit)
        ? run(`stage ${request.commit}`, () => doStage(request)).mapErr((e) =>
            e.kind === 'TargetStateChanged' ? { ...e, expected: request.expectActive } : e,
          )
        : errAsync(
            berthError.invalidInput({
              field: 'commit',
              message: `"${request.commit}" is not a full commit SHA`,
            }),
          ),
    activate: (commit, options: ActivateOptions = {}) =>
      run(`activate ${commit}`, () => doActivate(commit, options.keep ?? DEFAULT_KEEP)),
    rollback: () =>
      run('rollback', async () => {
        const state = await readState();
        if (!state.previous)
          throw Object.assign(new Error('there is no previous release to roll back to'), {
            code: 'ENORELEASE',
          });
        return doActivate(state.previous, Number.MAX_SAFE_INTEGER);
      }),
    prune: (keep) => run('prune', () => doPrune(keep)),
    close: () =>
      ResultAsync.fromSafePromise(
        (async () => {
          const left = prepared;
          await settlePrepared();
          if (left) await rm(left.path, { recursive: true, force: true });
        })(),
      ),
  };
}
