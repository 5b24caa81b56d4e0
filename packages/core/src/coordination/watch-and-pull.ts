// The CDN node: follow an etcd key, publish the commit it names into the targets, report status.
import { ResultAsync, err, errAsync, ok, type Result } from 'neverthrow';
import { berthError, type AbortedError, type InvalidInputError } from '../errors';
import { AfterHookRetry } from './after-hook-retry';
import { containerWait, missingContainer } from './container-wait';
import { parseAnnouncement, previewValue, type Announcement } from './announcement';
import type { CarryContext } from './carried-sync';
import { CoalescingSync, type SyncLoopEvent, type Wanted } from './coalescing-sync';
import { getKey } from './etcd-kv';
import { EventStream } from './event-stream';
import { KeyFollower, now, type ObservedValue } from './key-follower';
import { statusKey } from './node-status';
import { StatusWriter } from './status-writer';
import { diskUsageReporter } from './disk-usage-report';
import { syncTargets, type SyncReport } from './sync-targets';
import { coordinationError, type InvalidAnnouncementError } from './watch-errors';
import { checkWatchOptions, type CheckedWatchOptions } from './watch-options';
import { WatchState } from './watch-state';
import type {
  WatchAndPullOptions,
  WatchEvent,
  WatchHandle,
  WatchStatus,
  WatchSyncError,
} from './watch-types';

interface Applied extends SyncReport {
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** What became of an observed value: applied (undefined when there was nothing to apply) or why not. */
type Outcome = Result<Applied | undefined, WatchSyncError>;

const stoppedError = (): AbortedError =>
  berthError.aborted({ operation: 'watchAndPull', message: 'the watcher was stopped' });

function timingsOf(wanted: Wanted<Announcement>, applied: Applied) {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    receivedAt: wanted.receivedAt,
    queuedMs: round(Math.max(0, applied.startedAt - wanted.receivedAt)),
    fetchMs: applied.fetchMs,
    totalMs: round(applied.finishedAt - wanted.receivedAt),
  };
}

/**
 * Runs a CDN node: reads `key`, publishes the commit it names into `targets` and keeps doing so
 * as the key changes, level-triggered and without losing the last update (see docs/watching.md).
 * A failed publish is retried with backoff and never stops the watcher; each node's status is
 * kept under the status prefix with a lease. Refuses contradictory options with `InvalidInput`.
 */
export function watchAndPull(options: WatchAndPullOptions): Result<WatchHandle, InvalidInputError> {
  const checked = checkWatchOptions(options);
  if (checked.isErr()) return err(checked.error);
  return ok(startWatcher(options, checked.value));
}

function startWatcher(options: WatchAndPullOptions, config: CheckedWatchOptions): WatchHandle {
  const { etcd, source, targets, nodeId, logger } = options;
  const key = config.key;
  const events = new EventStream<WatchEvent>();
  const emit = (event: WatchEvent) => events.emit(event);
  const statusWriter = new StatusWriter({
    etcd,
    key: statusKey(config.statusPrefix, nodeId),
    ttlSeconds: config.statusTtlSeconds,
    backoff: config.reconnect,
    onFailure: (error) => {
      logger?.warn({ event: 'status-failed', nodeId, key, error }, 'status write failed');
      emit({ type: 'status-failed', error });
    },
    onRecovered: () => logger?.info({ nodeId, key }, 'status written again'),
  });
  const state = new WatchState({ nodeId, key, emit, publishStatus: (s) => statusWriter.update(s) });

  // Publishes and after-hook retries take turns, so a reload never runs beside a swap.
  let turn: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(work);
    turn = next.catch(() => undefined);
    return next;
  };
  const afterHooks = new AfterHookRetry({
    retry: config.retry,
    serial,
    onPending: (hook) => state.hookPending(hook),
    emit: (event) => {
      if (event.type === 'hook-failed')
        logger?.warn(
          {
            event: event.type,
            nodeId,
            key,
            hook: event.hook,
            target: event.target,
            commit: event.commit,
            attempt: event.attempt,
            error: event.error,
          },
          `${event.hook} of ${event.target} failed (attempt ${event.attempt}): the node stays unhealthy and retries it`,
        );
      else if (event.type === 'hook-recovered')
        logger?.info(
          { event: event.type, nodeId, key, target: event.target, commit: event.commit },
          'hook recovered',
        );
      emit(event);
    },
  });

  const measureDisk = diskUsageReporter({
    source,
    targets,
    report: (usage) => state.diskUsage(usage),
  });

  const onSyncEvent = (event: SyncLoopEvent<Announcement, Applied, WatchSyncError>) => {
    const revision = event.wanted.revision;
    switch (event.type) {
      case 'started':
        return;
      case 'succeeded': {
        const { commit, unchanged, targets: done, path, carryNote } = event.result;
        const timings = timingsOf(event.wanted, event.result);
        // An already-served commit says nothing about propagation: keep the last real figure.
        state.applied(commit, revision, unchanged ? undefined : timings.totalMs, path);
        logger?.info(
          { event: 'synced', nodeId, key, revision, commit, unchanged, timings, path },
          'synced',
        );
        if (carryNote !== undefined)
          logger?.info({ nodeId, key, commit, reason: carryNote }, 'carried change not used');
        const repaired = done.filter((t) => t.repaired).map((t) => t.target);
        if (repaired.length > 0)
          logger?.warn(
            { nodeId, commit, targets: repaired },
            'active release was damaged: rebuilt',
          );
        void measureDisk();
        return emit({
          type: 'synced',
          revision,
          commit,
          announcement: event.wanted.value,
          unchanged,
          targets: done,
          timings,
          path,
          ...(carryNote !== undefined && { carryNote }),
        });
      }
      case 'failed': {
        const container = missingContainer(event.error);
        if (container !== undefined) {
          state.waiting(event.error, container, sync.consecutiveFailures);
          if (event.attempt === 1)
            logger?.warn(
              { event: 'waiting', nodeId, key, revision, container, attempt: event.attempt },
              `waiting for container ${container} to exist`,
            );
          return emit({
            type: 'waiting',
            revision,
            container,
            message: `waiting for container ${container} to exist: ${event.error.message}`,
            attempt: event.attempt,
          });
        }
        state.failed(event.error, sync.consecutiveFailures);
        logger?.warn(
          { event: 'failed', nodeId, key, revision, attempt: event.attempt, error: event.error },
          event.error.message,
        );
        return emit({
          type: 'failed',
          revision,
          announcement: event.wanted.value,
          error: event.error,
          attempt: event.attempt,
          final: event.final,
        });
      }
      case 'retrying':
        return emit({ type: 'retrying', revision, attempt: event.attempt, delayMs: event.delayMs });
      case 'superseded':
        return emit({ type: 'skipped', revision, reason: 'superseded' });
    }
  };

  const carryContext: CarryContext = {
    etcd,
    key,
    nodeId,
    shared: config.sharedFetch,
    serving: () => state.commit,
    logger,
  };

  const sync = new CoalescingSync<Announcement, Applied, WatchSyncError>({
    run: (wanted, { signal }) =>
      new ResultAsync(
        serial(async () => {
          const startedAt = now();
          const synced = await syncTargets(
            source,
            targets,
            wanted.value,
            signal,
            afterHooks.record,
            carryContext,
          );
          return synced.map((report) => ({ ...report, startedAt, finishedAt: now() }));
        }),
      ),
    retry: config.retry,
    debounce: config.debounce,
    jitterMs: config.jitterMs,
    stopped: stoppedError,
    waitingFor: (error) => containerWait(error, config.retry),
    onEvent: onSyncEvent,
  });

  let lastInvalid = 0;
  const invalidAt = (revision: number, value: Buffer, reason: string): InvalidAnnouncementError =>
    coordinationError.invalidAnnouncement({
      key,
      revision,
      reason,
      preview: previewValue(value),
      message: `${key} at revision ${revision} is not an announcement (${reason}): the old content keeps serving`,
    });

  /** A value seen by a read or the watch, offered to the sync loop (or reported as unusable). */
  const observe = (observed: ObservedValue, force = false): Promise<Outcome> => {
    if (observed.kind !== 'put') {
      state.saw(observed.revision);
      if (observed.kind === 'deleted')
        emit({ type: 'skipped', revision: observed.revision, reason: 'no-value' });
      return Promise.resolve(ok(sync.lastApplied?.result));
    }
    const revision = observed.modRevision;
    state.saw(revision);
    const parsed = parseAnnouncement(observed.value);
    if (parsed.isErr()) {
      const error = invalidAt(revision, observed.value, parsed.error.reason);
      if (revision !== lastInvalid) {
        lastInvalid = revision;
        state.failed(error, state.failures);
        logger?.warn(
          { event: 'invalid-value', nodeId, key, revision, reason: error.reason },
          error.message,
        );
        emit({ type: 'invalid-value', revision, error });
      }
      return Promise.resolve(err(error));
    }
    return sync.offer({ revision, value: parsed.value, receivedAt: observed.receivedAt }, force);
  };

  let settleReady: (outcome: Result<WatchStatus, WatchSyncError>) => void = () => undefined;
  const readyPromise = new Promise<Result<WatchStatus, WatchSyncError>>((resolve) => {
    settleReady = resolve;
  });
  // The watch is set up after the first read: `ready` also waits for it (or for etcd to be
  // found unreachable, or a stop), so a node that is ready reports itself healthy.
  let watchSettled: () => void = () => undefined;
  const watchSetUp = new Promise<void>((resolve) => {
    watchSettled = resolve;
  });
  let firstSeen = false;
  let firstSettled: Promise<void> | undefined;
  const first = (outcome: Promise<Outcome>) => {
    if (firstSeen) return;
    firstSeen = true;
    firstSettled = outcome
      .then(async (o) => {
        if (o.isOk()) await watchSetUp;
        return o;
      })
      .then((o) => settleReady(o.map(() => state.snapshot())));
  };

  const follower = new KeyFollower({
    etcd,
    key,
    lastApplied: () => sync.lastApplied?.wanted.revision,
    backoff: config.reconnect,
    onValue: (observed) => first(observe(observed)),
    onWatching: (start) => {
      state.reachable(true);
      watchSettled();
      if (start.first || !start.after) logger?.debug({ nodeId, key, ...start }, 'watching');
      else logger?.info({ event: 'reconnected', nodeId, key, ...start }, 'watching again');
      emit(
        start.first || !start.after
          ? { type: 'watching', fromRevision: start.fromRevision, resumedFrom: start.resumedFrom }
          : {
              type: 'reconnected',
              fromRevision: start.fromRevision,
              resumedFrom: start.resumedFrom,
              after: start.after,
            },
      );
    },
    onUnreachable: (error) => {
      state.reachable(false, error);
      watchSettled();
      first(Promise.resolve(err(error)));
      logger?.warn({ event: 'disconnected', nodeId, key, error }, 'etcd unreachable');
      emit({ type: 'disconnected', error });
    },
    onCompacted: (requestedRevision) => {
      logger?.info(
        { event: 'compacted', nodeId, key, requestedRevision },
        'watch history compacted: reading the key again',
      );
      emit({ type: 'compacted', requestedRevision });
    },
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      watchSettled();
      await follower.stop();
      await sync.stop();
      await afterHooks.stop();
      // A first sync that finished before the stop settles `ready` with its own outcome.
      await firstSettled;
      settleReady(err(stoppedError()));
      await statusWriter.stop();
      logger?.info({ event: 'stopped', nodeId, key }, 'watcher stopped');
      emit({ type: 'stopped' });
      events.close();
    })();
    return stopping;
  };
  options.signal?.addEventListener('abort', () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();

  const syncNow = (): ResultAsync<WatchStatus, WatchSyncError> => {
    if (stopping) return errAsync(stoppedError());
    return getKey(etcd, key).andThen((read) => {
      const observed: ObservedValue = read.kv
        ? {
            kind: 'put',
            value: read.kv.value,
            modRevision: read.kv.modRevision,
            via: 'read',
            receivedAt: now(),
          }
        : { kind: 'absent', revision: read.revision };
      const outcome = observe(observed, true);
      sync.retryNow();
      afterHooks.retryNow();
      return new ResultAsync(outcome).map(() => state.snapshot());
    });
  };

  return {
    nodeId,
    ready: new ResultAsync(readyPromise),
    events,
    status: () => state.snapshot(),
    syncNow,
    stop,
  };
}
