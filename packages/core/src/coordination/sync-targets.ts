// One sync: resolve the announcement to a commit (the fetch: the only part a stop may cut short),
// then publish that commit into every target in turn, configuration first.
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { BerthError } from '../errors';
import {
  publishCommit,
  type ActivationHook,
  type CommitSource,
  type HookContext,
  type PublishProgress,
} from '../content/publish';
import type { Announcement } from './announcement';
import { prepareCommit, type CarryContext, type SyncPath } from './carried-sync';
import type { TargetSync, WatchSource, WatchSyncError, WatchTarget } from './watch-types';

/**
 * An after-swap hook that failed: the swap happened (the commit is live there), the action after
 * it (say, the nginx reload) did not. The watcher retries `hook` with `context` alone.
 */
export interface FailedAfterHook {
  readonly target: WatchTarget;
  readonly hook: ActivationHook;
  readonly context: HookContext;
  readonly error: BerthError;
}

export interface SyncReport {
  readonly commit: string;
  readonly unchanged: boolean;
  readonly targets: readonly TargetSync[];
  readonly fetchMs: number;
  /** How the commit reached the cache. */
  readonly path: SyncPath;
  /** Why a carried or shared change was not used. */
  readonly carryNote?: string;
}

/** How a target's after-hook ended, told as soon as it ran (even when a later target fails). */
export type AfterHookListener = (
  target: WatchTarget,
  outcome: { readonly failed?: FailedAfterHook },
) => void;

/**
 * `CommitSource` (publish.ts) does not list `InvalidInput` among a source's errors although a git
 * source can answer it; the publisher passes such errors through unchanged and its own error type
 * (`PublishError`) includes every berth kind, so the view below is sound at run time.
 */

/** Configuration targets first, each group in the order given. */
export function publishOrder(targets: readonly WatchTarget[]): WatchTarget[] {
  return [
    ...targets.filter((t) => t.role === 'configuration'),
    ...targets.filter((t) => t.role !== 'configuration'),
  ];
}

function publishInto(
  source: CommitSource,
  commit: string,
  target: WatchTarget,
  onAfterHook: AfterHookListener,
): ResultAsync<TargetSync, WatchSyncError> {
  const started = performance.now();
  const marks: Partial<Record<PublishProgress['phase'], number>> = {};
  const hook = target.afterActivate;
  // The swap is done when the after-hook runs: its failure must not read as a failed publish
  // (a retry would find the commit active and never run the hook again). It is kept instead,
  // for the watcher to retry alone until it succeeds.
  const afterActivate: ActivationHook | undefined =
    hook &&
    ((context) =>
      hook(context)
        .map(() => onAfterHook(target, {}))
        .orElse((error) => {
          onAfterHook(target, { failed: { target, hook, context, error } });
          return okAsync(undefined);
        }));
  return publishCommit({
    source,
    commit,
    target: target.target,
    ...(target.subdir !== undefined && { subdir: target.subdir }),
    ...(target.mountPath !== undefined && { mountPath: target.mountPath }),
    ...(target.keep !== undefined && { keep: target.keep }),
    ...(target.beforeActivate && { beforeActivate: target.beforeActivate }),
    ...(afterActivate && { afterActivate }),
    onProgress: (event) => {
      marks[event.phase] = performance.now();
    },
  }).map((report): TargetSync => {
    const done = performance.now();
    const planned = marks.planned ?? done;
    const staged = marks.staged ?? planned;
    const activated = marks.activated ?? staged;
    const ms = (from: number, to: number) => Math.max(0, Math.round((to - from) * 10) / 10);
    return {
      target: target.target.description,
      subdir: target.subdir ?? '',
      unchanged: report.unchanged,
      repaired: report.repaired,
      files: report.changed.added.length + report.changed.modified.length,
      bytesSent: report.bytesSent,
      planMs: ms(started, planned),
      stageMs: ms(planned, staged),
      activateMs: ms(staged, activated),
      afterMs: ms(activated, done),
    };
  });
}

/**
 * Resolves `announcement` (fetching; `signal` may cut this short) and publishes the commit into
 * every target, configuration first, stopping at the first failure so content never goes live
 * before the configuration that serves it. The publishing itself takes no signal: a swap and its
 * hooks always run to the end.
 */
export function syncTargets(
  source: WatchSource,
  targets: readonly WatchTarget[],
  announcement: Announcement,
  signal: AbortSignal,
  onAfterHook: AfterHookListener = () => undefined,
  carry?: CarryContext,
): ResultAsync<SyncReport, WatchSyncError> {
  const started = performance.now();
  const publisher: CommitSource = source;
  const noCarry = { path: 'origin' as const };
  return ResultAsync.fromSafePromise(
    carry ? prepareCommit(carry, source, announcement, signal) : Promise.resolve(noCarry),
  )
    .andThen((prepared) =>
      source
        .resolve(announcement.revision, { signal })
        .orElse((error) =>
          ResultAsync.fromSafePromise(prepared.release?.() ?? Promise.resolve()).andThen(() =>
            errAsync(error),
          ),
        )
        .andThen((commit) =>
          ResultAsync.fromSafePromise(prepared.afterFetch?.(commit) ?? Promise.resolve()).map(
            () => ({ commit, prepared }),
          ),
        ),
    )
    .andThen(({ commit, prepared }) => {
      const { path, note } = prepared;
      const fetchMs = Math.round((performance.now() - started) * 10) / 10;
      const done: TargetSync[] = [];
      const chain = publishOrder(targets).reduce<ResultAsync<void, WatchSyncError>>(
        (previous, target) =>
          previous.andThen(() =>
            publishInto(publisher, commit, target, onAfterHook).map((r) => void done.push(r)),
          ),
        okAsync(undefined),
      );
      return chain.map(() => ({
        commit,
        unchanged: done.every((t) => t.unchanged),
        targets: done,
        fetchMs,
        path,
        ...(note !== undefined && { carryNote: note }),
      }));
    });
}
