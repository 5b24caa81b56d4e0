import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readlink, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ResultAsync, errAsync } from 'neverthrow';
import { berthError, describeCause } from '../errors';
import { isNotFound, listOrEmpty } from '../util/fs-errors';
import { diskUsage } from '../util/disk-usage';
import { AheadCopy } from './directory-ahead';
import { checkDirectoryRelease, readManifest } from './directory-check';
import {
  abandoned,
  release,
  coded,
  dirsInside,
  linkTree,
  moveAside,
  ownedName,
  realDir,
  removeInside,
  removeTree,
  withFileLock,
  writeNew,
} from './directory-fs';
import { ManifestBuilder } from './manifest-builder';
import { MANIFEST_SUFFIX, serializeManifest } from './release-manifest';
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

/**
 * A content target on a local path: for a watcher that runs where the volumes are mounted
 * (inside a container started with `--volumes-from www-content`, or on the Docker host).
 * Same layout and the same atomic swap as the container target, with plain file-system calls.
 *
 * Each stage writes into a work directory of its own (named after this process); the commit
 * point (rename into `releases/`, then the manifest), the swap of `current` and pruning hold
 * `.berth/lock`, so two publishers on one directory never see each other's half-done work.
 */
export function directoryTarget(dir: string): ContentTarget {
  const description = `directory ${dir}`;
  const berth = join(dir, '.berth');
  const releases = join(berth, 'releases');
  const staging = join(berth, 'staging');
  const trash = join(berth, 'trash');
  const manifestPath = (commit: string) => join(releases, `${commit}${MANIFEST_SUFFIX}`);

  const linkName = async (path: string): Promise<string | undefined> => {
    try {
      const target = await readlink(path);
      const name = target.split('/').pop() ?? '';
      return isReleaseName(name) ? name : undefined;
    } catch (cause) {
      if (isNotFound(cause) || (cause as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw cause;
    }
  };

  let known: ReleaseState | undefined;
  const stale = (message: string, found: string | undefined) => {
    known = undefined;
    return coded('ESTATE', message, { found });
  };

  /** Releases are the directories with a manifest beside them; anything else is not one. */
  const readState = async (): Promise<ReleaseState> => {
    const [active, previous] = await Promise.all([
      linkName(join(dir, 'current')),
      linkName(join(berth, 'previous')),
    ]);
    const listed = await listOrEmpty(releases);
    const manifests = new Set(listed.filter((n) => n.endsWith(MANIFEST_SUFFIX)));
    const names = listed.filter((n) => isReleaseName(n) && manifests.has(`${n}${MANIFEST_SUFFIX}`));
    const dated = await Promise.all(
      names.map(async (n) => {
        const stat = await lstat(join(releases, n)).catch(() => undefined);
        return { n, t: stat?.isDirectory() ? stat.mtimeMs : undefined };
      }),
    );
    known = {
      ...(active && { active }),
      ...(previous && { previous }),
      releases: dated
        .filter((d) => d.t !== undefined)
        .sort((a, b) => (b.t ?? 0) - (a.t ?? 0))
        .map((d) => d.n),
    };
    return known;
  };

  /** What this target last saw, with the active release re-read from disk. */
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

  /** One step at a time within this object; across processes, the lock file. */
  let queue: Promise<unknown> = Promise.resolve();
  const locked = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(async () => {
      await mkdir(berth, { recursive: true });
      return withFileLock(join(berth, 'lock'), work);
    });
    queue = turn.catch(() => undefined);
    return turn;
  };

  /** A manifest that names the commit beside a real directory: what may be activated. */
  const isRelease = async (commit: string) => {
    const stat = await lstat(join(releases, commit)).catch(() => undefined);
    return (
      stat?.isDirectory() === true && typeof (await readManifest(releases, commit)) !== 'string'
    );
  };

  /** Under the lock: swap `current` (if `expect` still holds) to a release that is one. */
  const activateLocked = async (
    commit: string,
    keep: number,
    expect: ActivateOptions['expect'],
    checkFiles: boolean,
  ): Promise<ReleaseState> => {
    const active = await linkName(join(dir, 'current'));
    // Someone else made the same commit active: that is what was wanted, not a conflict.
    if (expect && active !== expect.active && active !== commit)
      throw stale(`active is ${active ?? 'none'}, expected ${expect.active ?? 'none'}`, active);
    if (!(await isRelease(commit))) throw coded('ENORELEASE', `no complete release ${commit}`);
    if (checkFiles) {
      const check = await checkDirectoryRelease(releases, commit, false);
      if (!check.verified)
        throw coded(
          'ENORELEASE',
          `release ${commit} is damaged: ${check.problems.slice(0, 5).join('; ')}`,
        );
    }
    const before = await readState();
    if (active !== commit) {
      await swapLink(join(dir, 'current'), `.berth/releases/${commit}`);
      if (active) await swapLink(join(berth, 'previous'), `releases/${active}`);
    }
    const now = new Date();
    await utimes(join(releases, commit), now, now);
    const previous = active !== commit ? active : before.previous;
    const swapped: ReleaseState = {
      active: commit,
      ...(previous && { previous }),
      releases: [commit, ...before.releases.filter((n) => n !== commit)],
    };
    const gone = await pruneLocked(keep, swapped);
    known = { ...swapped, releases: swapped.releases.filter((n) => !gone.includes(n)) };
    return known;
  };

  /**
   * Under the lock: moves aside releases beyond `keep`, anything at a release path that is not
   * a release, and work directories whose owner is gone. Returns the releases pruned.
   */
  const pruneLocked = async (keep: number, state: ReleaseState): Promise<string[]> => {
    const protectedNames = new Set([state.active, state.previous].filter(Boolean));
    const removable = state.releases
      .filter((n) => !protectedNames.has(n))
      .slice(Math.max(0, keep - protectedNames.size));
    const valid = new Set(state.releases.filter((n) => !removable.includes(n)));
    await realDir(trash);
    for (const name of await listOrEmpty(releases)) {
      const release = name.endsWith(MANIFEST_SUFFIX)
        ? name.slice(0, -MANIFEST_SUFFIX.length)
        : name;
      if (valid.has(release) || protectedNames.has(release)) continue;
      await moveAside(join(releases, name), trash);
    }
    // Half-made swaps (a temporary link) and broken locks of writers that died.
    for (const [parent, prefix] of [
      [dir, 'current.'],
      [berth, 'previous.'],
      [berth, 'lock.'],
    ] as const)
      for (const name of await listOrEmpty(parent))
        if (name.startsWith(prefix) && (name.endsWith('.tmp') || name.endsWith('.stale')))
          await rm(join(parent, name), { force: true });
    for (const name of await listOrEmpty(staging))
      if (await abandoned(staging, name)) await moveAside(join(staging, name), trash);
    return removable;
  };

  /** Empties the trash of what nobody alive is still removing (outside the lock: it may be big). */
  const emptyTrash = async () => {
    for (const name of await listOrEmpty(trash))
      if (await abandoned(trash, name)) await removeTree(join(trash, name)).catch(() => undefined);
  };

  const ahead = new AheadCopy(releases, staging);
  const prepareNext = (base: string) => ahead.prepare(base);

  /** Writes the release into `work` and returns its manifest's entries. */
  const build = async (request: StageRequest, state: ReleaseState, work: string) => {
    let builder = new ManifestBuilder(request.commit);
    let made = new Set<string>();
    let bytesSent = 0;
    const early = request.base !== undefined ? await ahead.take(request.base) : undefined;
    if (request.base !== undefined) {
      const gone = () => stale(`base release ${request.base} is gone`, state.active);
      if (!state.releases.includes(request.base)) throw gone();
      const base = await readManifest(releases, request.base);
      if (typeof base === 'string') throw gone();
      builder = new ManifestBuilder(request.commit, base);
      if (early) {
        await rename(early.path, work);
        release(early.path.split('/').pop() ?? '');
        made = new Set([...early.made].map((d) => work + d.slice(early.path.length)));
      } else {
        made = await linkTree(join(releases, request.base), work).catch((cause: unknown) => {
          throw isNotFound(cause) ? gone() : cause;
        });
      }
    } else {
      await mkdir(work);
      made.add(work);
    }
    for (const path of [...request.deleted, ...request.replaced]) {
      await removeInside(work, path);
      const gonePath = join(work, path);
      for (const d of made) if (d === gonePath || d.startsWith(`${gonePath}/`)) made.delete(d);
      builder.remove(path);
    }
    for await (const file of request.files) {
      request.signal?.throwIfAborted();
      const target = join(work, file.path);
      const parent = dirname(file.path);
      if (parent !== '.') await dirsInside(work, parent, made);
      if (file.kind === 'symlink') await symlink(file.content.toString('utf8'), target);
      else
        await writeNew(
          target,
          file.content,
          file.kind === 'executable' ? 0o755 : 0o644,
          request.mtime,
        );
      builder.add(file);
      bytesSent += file.content.length;
    }
    const manifest = builder.build();
    if (request.tree !== undefined && manifest.tree !== request.tree)
      throw new Error(`the staged files make tree ${manifest.tree}, expected ${request.tree}`);
    return { manifest, bytesSent };
  };

  const doStage = async (request: StageRequest): Promise<StageReport> => {
    const state = await current();
    if (state.active !== request.expectActive) throw stale('state changed', state.active);
    const keep = request.activate?.keep ?? DEFAULT_KEEP;
    const expect = { active: request.expectActive };
    const reuse = state.releases.includes(request.commit) && request.replaceExisting !== true;
    if (reuse) {
      if (!request.activate) return { bytesSent: 0, written: false, state: await current() };
      const after = await locked(() => activateLocked(request.commit, keep, expect, false));
      prepareNext(request.commit);
      await emptyTrash().catch(() => undefined);
      return { bytesSent: 0, written: false, state: after };
    }
    await mkdir(dir, { recursive: true });
    await realDir(berth);
    await realDir(staging);
    await realDir(releases);
    const name = ownedName(request.commit);
    const work = join(staging, name);
    try {
      const { manifest, bytesSent } = await build(request, state, work);
      let written = true;
      const after = await locked(async () => {
        const active = await linkName(join(dir, 'current'));
        if (active !== request.expectActive) throw stale('state changed', active);
        if (!request.replaceExisting && (await isRelease(request.commit))) {
          written = false; // another writer completed it first: theirs stands
        } else {
          await moveAside(join(releases, request.commit), trash);
          await moveAside(manifestPath(request.commit), trash);
          await rename(work, join(releases, request.commit));
          const temp = join(releases, `${request.commit}.${randomBytes(4).toString('hex')}.tmp`);
          try {
            await writeFile(temp, serializeManifest(manifest), { flag: 'wx' });
            await rename(temp, manifestPath(request.commit));
          } catch (cause) {
            // No manifest, no release: take the directory back out.
            await rm(temp, { force: true }).catch(() => undefined);
            await moveAside(join(releases, request.commit), trash).catch(() => undefined);
            throw cause;
          }
        }
        return request.activate ? activateLocked(request.commit, keep, expect, false) : readState();
      });
      if (request.activate) prepareNext(request.commit);
      return { bytesSent: written ? bytesSent : 0, written, state: after };
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
      release(name);
      await emptyTrash().catch(() => undefined);
    }
  };

  const run = <T>(operation: string, work: () => Promise<T>): ResultAsync<T, TargetError> =>
    ResultAsync.fromPromise(work(), (cause): TargetError => {
      // Whatever failed, the next step looks at the directory again.
      known = undefined;
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
      return berthError.targetIo({
        target: description,
        operation,
        message: `${description}: ${operation}: ${describeCause(cause)}`,
        cause,
      });
    });

  const badCommit = (commit: string) =>
    errAsync(
      berthError.invalidInput({ field: 'commit', message: `"${commit}" is not a full commit SHA` }),
    );

  return {
    description,
    state: (options) => run('read state', options?.fresh ? readState : current),
    diskUsage: () => run('disk usage', () => diskUsage(berth)),
    check: (commit, options) =>
      isReleaseName(commit)
        ? run(`check ${commit}`, () =>
            checkDirectoryRelease(releases, commit, options?.full === true),
          )
        : badCommit(commit),
    stage: (request) =>
      isReleaseName(request.commit)
        ? run(`stage ${request.commit}`, () => doStage(request)).mapErr((e) =>
            e.kind === 'TargetStateChanged' ? { ...e, expected: request.expectActive } : e,
          )
        : badCommit(request.commit),
    activate: (commit, options: ActivateOptions = {}) =>
      run(`activate ${commit}`, async () => {
        const state = await locked(() =>
          activateLocked(commit, options.keep ?? DEFAULT_KEEP, options.expect, true),
        );
        prepareNext(commit);
        await emptyTrash().catch(() => undefined);
        return state;
      }).mapErr((e) =>
        e.kind === 'TargetStateChanged' ? { ...e, expected: options.expect?.active } : e,
      ),
    rollback: () =>
      run('rollback', async () => {
        const state = await readState();
        if (!state.previous)
          throw coded('ENORELEASE', 'there is no previous release to roll back to');
        const previous = state.previous;
        const after = await locked(() =>
          activateLocked(previous, Number.MAX_SAFE_INTEGER, { active: state.active }, true),
        );
        prepareNext(previous);
        return after;
      }),
    prune: (keep) =>
      run('prune', async () => {
        const gone = await locked(async () => {
          const state = await readState();
          const removed = await pruneLocked(keep, state);
          known = { ...state, releases: state.releases.filter((n) => !removed.includes(n)) };
          return removed;
        });
        await emptyTrash();
        return gone;
      }),
    close: () => ResultAsync.fromSafePromise(ahead.drop().catch(() => undefined)),
  };
}
