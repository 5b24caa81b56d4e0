// A failing after-swap hook (an nginx reload, say) on a real etcd and real publishing: the node
// says so everywhere and retries the hook alone, without publishing again, until it succeeds.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errAsync, okAsync } from 'neverthrow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { berthError } from '../errors';
import { openGitSource } from '../git/source';
import { directoryTarget } from '../content/directory-target';
import type { ActivationHook } from '../content/publish';
import { useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  commitSeries,
  forgetKeys,
  ofType,
  recordEvents,
  servedCommit,
  uniqueKey,
  until,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { waitForConvergence } from './convergence';
import { connectEtcd, type EtcdConnection } from './etcd';
import { listNodeStatuses } from './fleet';
import { watchAndPull } from './watch-and-pull';
import type { WatchHandle } from './watch-types';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('after-hooks');
  commits = await commitSeries(repo.dir, 2, (i) => ({ 'index.html': `version ${i}\n` }));
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

/** An after-hook that fails while `broken` holds (for `brokenFor` only, when set), counting its calls. */
interface FlakyHook {
  broken: boolean;
  readonly calls: string[];
  readonly run: ActivationHook;
}

function flakyHook(brokenFor?: string): FlakyHook {
  const hook: FlakyHook = {
    broken: true,
    calls: [] as string[],
    run: (context) => {
      hook.calls.push(context.commit);
      return hook.broken && (brokenFor === undefined || brokenFor === context.commit)
        ? errAsync(
            berthError.hookFailed({
              hook: 'afterActivate',
              commit: context.commit,
              message: `reload refused (call ${hook.calls.length})`,
            }),
          )
        : okAsync(undefined);
    },
  };
  return hook;
}

async function node(key: string, afterActivate: ActivationHook) {
  const dir = join(await fixtures.dir('berth-after-hooks'), 'www');
  const source = openGitSource({
    url: repo.url,
    cacheDir: await fixtures.dir('berth-after-hooks-cache'),
  })._unsafeUnwrap();
  const handle: WatchHandle = watchAndPull({
    etcd,
    key,
    nodeId: 'hook-node',
    source,
    targets: [{ target: directoryTarget(dir), afterActivate }],
    retry: { initialMs: 50, maxMs: 200 },
  })._unsafeUnwrap();
  stops.push(() => handle.stop());
  return { handle, events: recordEvents(handle), dir };
}

describe('watchAndPull with a failing afterActivate hook', () => {
  it('stays unhealthy, retries the hook alone until it succeeds, and only then counts as converged', async () => {
    const key = uniqueKey('after-hook');
    const hook = flakyHook();
    (await announceRevision(etcd, key, { commit: commits[0] ?? '' }))._unsafeUnwrap();
    const { handle, events, dir } = await node(key, hook.run);
    (await handle.ready)._unsafeUnwrap();

    await until('three failed runs of the hook', () => hook.calls.length >= 3);
    // The swap happened: the commit is live, but the node says it is not healthy, and why.
    expect(await servedCommit(dir)).toBe(commits[0]);
    expect(handle.status()).toMatchObject({
      commit: commits[0],
      healthy: false,
      pendingHook: { hook: 'afterActivate', commit: commits[0], error: { kind: 'HookFailed' } },
    });
    const failed = ofType(events, 'hook-failed');
    expect(failed[0]).toMatchObject({
      hook: 'afterActivate',
      target: `directory ${dir}`,
      commit: commits[0],
      attempt: 1,
      error: { kind: 'HookFailed' },
    });
    expect(failed.map((e) => e.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    await until('the status key says so', async () => {
      const [status] = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
      return status?.ok === false && status.pendingHook?.attempts !== undefined;
    });
    const [status] = (await listNodeStatuses(etcd, key))._unsafeUnwrap();
    expect(status).toMatchObject({
      commit: commits[0],
      ok: false,
      healthy: false,
      error: { kind: 'HookFailed' },
    });
    const waited = await waitForConvergence(etcd, key, {
      commit: commits[0] ?? '',
      timeoutMs: 300,
    });
    expect(waited._unsafeUnwrapErr()).toMatchObject({
      kind: 'ConvergenceTimeout',
      lagging: [{ nodeId: 'hook-node', error: { kind: 'HookFailed' } }],
    });
    expect(waited._unsafeUnwrapErr().message).toContain('afterActivate');

    hook.broken = false;
    await until('healthy again', () => handle.status().healthy);
    const calls = hook.calls.length;
    expect(hook.calls.every((c) => c === commits[0])).toBe(true);
    expect(handle.status().pendingHook).toBeUndefined();
    expect(ofType(events, 'hook-recovered')).toMatchObject([
      { hook: 'afterActivate', commit: commits[0], attempts: calls },
    ]);
    // Only the hook was run again: one publish, one release.
    expect(ofType(events, 'synced')).toHaveLength(1);
    expect(
      (await readdir(join(dir, '.berth/releases'))).filter((n) => !n.endsWith('.manifest')),
    ).toEqual([commits[0]]);
    expect(
      (await waitForConvergence(etcd, key, { commit: commits[0] ?? '', timeoutMs: 10_000 })).isOk(),
    ).toBe(true);
    // Nothing left to retry: a sync now neither publishes nor runs the hook again.
    (await handle.syncNow())._unsafeUnwrap();
    expect(hook.calls.length).toBe(calls);
  });

  it('drops a pending hook when the next swap runs the hook successfully', async () => {
    const key = uniqueKey('after-hook-next');
    // The hook keeps failing for the first commit: only the next swap's own hook can clear it.
    const hook = flakyHook(commits[0]);
    (await announceRevision(etcd, key, { commit: commits[0] ?? '' }))._unsafeUnwrap();
    const { handle, events } = await node(key, hook.run);
    (await handle.ready)._unsafeUnwrap();
    await until('a failed hook', () => ofType(events, 'hook-failed').length >= 1);
    expect(handle.status().healthy).toBe(false);

    (await announceRevision(etcd, key, { commit: commits[1] ?? '' }))._unsafeUnwrap();
    await until('healthy on the next commit', () => handle.status().healthy);
    expect(handle.status()).toMatchObject({ commit: commits[1], healthy: true });
    expect(hook.calls.at(-1)).toBe(commits[1]);
  });
});
