import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type BerthError,
  type InvalidInputError,
  type UnsafeTreeError,
} from '../errors';
import type { GitError } from '../errors';
import { planRelease, subtree, type ReleasePlan } from './release-plan';
import { treeIdOf, type ReleaseCheck } from './release-manifest';
import type { ContentTarget, ReleaseState, StagedFile, TargetError } from './target';
import { DEFAULT_KEEP } from './target';
import { judgeTree, type TreeEntry } from './tree-safety';

/** What the publisher needs from a repository: a git source satisfies it. */
export interface CommitSource {
  /** A ref or SHA to the full commit SHA, fetching as needed. */
  resolve(
    refOrSha: string,
    options?: { readonly signal?: AbortSignal },
  ): ResultAsync<string, GitError | AbortedError | InvalidInputError>;
  /** Every entry of the commit's tree, recursively, names exactly as stored. */
  listTree(
    commit: string,
  ): ResultAsync<readonly TreeEntry[], GitError | InvalidInputError | AbortedError>;
  readBlob(oid: string): ResultAsync<Buffer, GitError | InvalidInputError | AbortedError>;
}

/** Where a hook runs: the commit, and where its staged (or now active) tree is in the target. */
export interface HookContext {
  readonly commit: string;
  readonly previous: string | undefined;
  /** e.g. `/etc/nginx/.berth/releases/<sha>` — the release's path as the target's containers see it. */
  readonly releasePath: string;
  readonly signal?: AbortSignal;
}

export type ActivationHook = (context: HookContext) => ResultAsync<void, BerthError>;

export type PublishProgress =
  | { readonly phase: 'resolved'; readonly commit: string }
  | {
      readonly phase: 'planned';
      readonly files: number;
      readonly deleted: number;
      readonly incremental: boolean;
    }
  | {
      readonly phase: 'repairing';
      readonly commit: string;
      /** What the check of the release found wrong (at most 20). */
      readonly problems: readonly string[];
    }
  | { readonly phase: 'staged'; readonly bytesSent: number }
  | { readonly phase: 'activated'; readonly commit: string };

export interface PublishOptions {
  readonly source: CommitSource;
  /** A full SHA or a ref the source resolves. */
  readonly commit: string;
  readonly target: ContentTarget;
  /** Publish only this folder of the repository (e.g. `site/`), as the release's root. */
  readonly subdir?: string;
  /** Where the target's path is mounted for hooks' `releasePath` (e.g. `/etc/nginx`). */
  readonly mountPath?: string;
  /** Releases to keep (default 5); the active and previous are never pruned. */
  readonly keep?: number;
  /** A check of the staged release before the swap; a failure leaves the old release serving. */
  readonly beforeActivate?: ActivationHook;
  /** An action after the swap (e.g. reload nginx). */
  readonly afterActivate?: ActivationHook;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: PublishProgress) => void;
  /**
   * Check the active release (its manifest, each file's size and mode) on every publish, and
   * rebuild it when damaged (default true). `false` trusts it: for benchmarks only.
   */
  readonly verify?: boolean;
}

export interface PublishReport {
  readonly commit: string;
  /** The release that was active before (undefined on the first publish). */
  readonly previous: string | undefined;
  readonly changed: {
    readonly added: readonly string[];
    readonly modified: readonly string[];
    readonly deleted: readonly string[];
  };
  readonly bytesSent: number;
  readonly durationMs: number;
  /** true when that commit was already active and its release checked whole: nothing was done. */
  readonly unchanged: boolean;
  /** true when the commit's release was missing or damaged and was rebuilt (and re-activated). */
  readonly repaired: boolean;
  /** Submodules in the tree: reported, not followed, not published. */
  readonly gitlinks: readonly { readonly path: string; readonly commit: string }[];
}

export type PublishError = GitError | TargetError | UnsafeTreeError | AbortedError | BerthError;

/** Symlink targets of the tree, read from their blobs. */
function symlinkTargets(
  source: CommitSource,
  entries: readonly TreeEntry[],
): ResultAsync<Map<string, string>, GitError | InvalidInputError | AbortedError> {
  const links = entries.filter((e) => e.mode === '120000');
  return ResultAsync.combine(
    links.map((l) => source.readBlob(l.oid).map((b) => [l.path, b.toString('utf8')] as const)),
  ).map((pairs) => new Map(pairs));
}

async function* stagedFiles(
  source: CommitSource,
  entries: readonly TreeEntry[],
  signal?: AbortSignal,
): AsyncGenerator<StagedFile> {
  for (const entry of entries) {
    signal?.throwIfAborted();
    const blob = await source.readBlob(entry.oid);
    if (blob.isErr()) throw Object.assign(new Error(blob.error.message), { berth: blob.error });
    yield {
      path: entry.path,
      kind: entry.mode === '120000' ? 'symlink' : entry.mode === '100755' ? 'executable' : 'file',
      content: blob.value,
      oid: entry.oid,
    };
  }
}

/**
 * Publishes a commit's tree into a target: resolve, judge the whole tree (an unsafe one is
 * refused with every offending path, nothing published), stage only what changed against the
 * active release, check, swap atomically, prune. Publishing the active commit checks its
 * release (cheaply: manifest, sizes, modes) and rebuilds it when it is missing or damaged;
 * otherwise it is a no-op. `beforeActivate` runs before every change of what `current` serves,
 * `afterActivate` after every one. Another writer's swap during the publish fails it as
 * `TargetStateChanged` (it is not overwritten).
 */
export function publishCommit(options: PublishOptions): ResultAsync<PublishReport, PublishError> {
  const started = performance.now();
  const { source, target, signal } = options;
  const keep = options.keep ?? DEFAULT_KEEP;
  const subdir = options.subdir ?? '';
  const verify = options.verify !== false;
  const releasePath = (commit: string) =>
    `${(options.mountPath ?? '').replace(/\/+$/, '')}/.berth/releases/${commit}`;

  const treeOf = (commit: string) =>
    source.listTree(commit).map((entries) => subtree(entries, subdir));

  /** The active release's tree, when the source still has (or can fetch) it; else a full upload. */
  const baseTree = (
    active: string | undefined,
  ): ResultAsync<readonly TreeEntry[] | undefined, never> => {
    if (!active) return okAsync(undefined);
    return source
      .resolve(active, signal ? { signal } : {})
      .andThen(() => treeOf(active))
      .map((t): readonly TreeEntry[] | undefined => t)
      .orElse(() => okAsync(undefined));
  };

  const checkOf = (
    commit: string | undefined,
    wanted: boolean,
  ): ResultAsync<ReleaseCheck | undefined, TargetError> =>
    commit && wanted ? target.check(commit, signal ? { signal } : {}) : okAsync(undefined);

  const attempt = (commit: string): ResultAsync<PublishReport, PublishError> => {
    // Read the new tree while the target answers (the first answer may start a helper container).
    const nextTree = treeOf(commit);
    const limits = signal ? { signal } : {};
    // "Already active" is a claim about the disk: a target's remembered state may be stale
    // (another writer swapped since, say a one-off `berth publish`), so it is read again.
    // Any other answer is checked by the swap itself (it expects the active release).
    const onDisk = target
      .state(limits)
      .andThen((seen) =>
        seen.active === commit ? target.state({ ...limits, fresh: true }) : okAsync(seen),
      );
    return onDisk
      .andThen((state) =>
        ResultAsync.combine([
          checkOf(state.active, verify),
          // A release of this commit that is there but not active is checked before it is used.
          checkOf(commit, state.active !== commit && state.releases.includes(commit)),
        ] as const).map(([activeCheck, ownCheck]) => ({ state, activeCheck, ownCheck })),
      )
      .andThen(({ state, activeCheck, ownCheck }): ResultAsync<PublishReport, PublishError> => {
        const isActive = state.active === commit;
        const damaged = isActive ? activeCheck : ownCheck;
        const repair = damaged !== undefined && !damaged.verified;
        const report = (
          plan: ReleasePlan | undefined,
          bytesSent: number,
          gitlinks: PublishReport['gitlinks'],
        ): PublishReport => ({
          commit,
          previous: state.active,
          changed: {
            added: plan?.added ?? [],
            modified: plan?.modified ?? [],
            deleted: plan?.deleted ?? [],
          },
          bytesSent,
          durationMs: Math.round(performance.now() - started),
          unchanged: plan === undefined,
          repaired: repair && isActive,
          gitlinks,
        });
        if (isActive && !repair) return okAsync(report(undefined, 0, []));
        if (repair) {
          options.onProgress?.({
            phase: 'repairing',
            commit,
            problems: damaged.problems.slice(0, 20),
          });
        }
        // Build on the active release only when it is whole (or unchecked, when asked not to).
        const baseUsable =
          !isActive &&
          state.active !== undefined &&
          state.releases.includes(state.active) &&
          (activeCheck === undefined || activeCheck.verified);

        return ResultAsync.combine([
          nextTree,
          baseTree(baseUsable ? state.active : undefined),
        ] as const)
          .andThen(([next, base]) =>
            symlinkTargets(source, next).andThen((links) => {
              const verdict = judgeTree(next, links);
              if (verdict.unsafe.length > 0) {
                return errAsync(
                  berthError.unsafeTree({
                    commit,
                    paths: verdict.unsafe,
                    message: `commit ${commit} is not published: ${verdict.unsafe.map((u) => `${u.path} (${u.reason})`).join(', ')}`,
                  }),
                );
              }
              const files = next.filter((e) => e.mode !== '160000');
              const plan = planRelease(base, files);
              options.onProgress?.({
                phase: 'planned',
                files: plan.send.length,
                deleted: plan.deleted.length,
                incremental: base !== undefined,
              });
              const published = files.filter((e) => e.type === 'blob');
              return okAsync({
                plan,
                incremental: base !== undefined,
                gitlinks: verdict.gitlinks,
                tree: treeIdOf(published, commit),
              });
            }),
          )
          .andThen(({ plan, incremental, gitlinks, tree }) => {
            const activateNow = options.beforeActivate === undefined;
            const expect = { active: state.active };
            return target
              .stage({
                commit,
                ...(incremental && state.active !== undefined && { base: state.active }),
                files: stagedFiles(source, plan.send, signal),
                deleted: incremental ? plan.deleted : [],
                replaced: incremental ? plan.modified : [],
                mtime: new Date(),
                expectActive: state.active,
                tree,
                ...(repair && { replaceExisting: true }),
                ...(activateNow && { activate: { keep } }),
                ...(signal && { signal }),
              })
              .andThen((staged) => {
                options.onProgress?.({ phase: 'staged', bytesSent: staged.bytesSent });
                const context: HookContext = {
                  commit,
                  previous: state.active,
                  releasePath: releasePath(commit),
                  ...(signal && { signal }),
                };
                const activated: ResultAsync<unknown, PublishError> = activateNow
                  ? okAsync(undefined)
                  : (options.beforeActivate?.(context) ?? okAsync(undefined)).andThen(() =>
                      target.activate(commit, { keep, expect, ...(signal && { signal }) }),
                    );
                return activated
                  .andThen(() => {
                    options.onProgress?.({ phase: 'activated', commit });
                    // Every change of what `current` serves, a swap to identical files included.
                    return options.afterActivate?.(context) ?? okAsync(undefined);
                  })
                  .map(() => report(plan, staged.bytesSent, gitlinks));
              });
          });
      });
  };

  return source.resolve(options.commit, signal ? { signal } : {}).andThen((commit) => {
    options.onProgress?.({ phase: 'resolved', commit });
    return attempt(commit);
  });
}

/** Re-activates the previous release atomically; the one that was active becomes the previous. */
export function rollbackRelease(
  target: ContentTarget,
  options: { readonly signal?: AbortSignal } = {},
): ResultAsync<ReleaseState, TargetError> {
  return target.rollback(options);
}
