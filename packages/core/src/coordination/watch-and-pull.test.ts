// watchAndPull against the real etcd and git server, publishing into local directories.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { berthError } from '../errors';
import { directoryTarget } from '../content/directory-target';
import { openGitSource } from '../git/source';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  commitSeries,
  directoryNode,
  forgetKeys,
  ofType,
  recordEvents,
  servedCommit,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { announceRevision } from './announce';
import { connectEtcd, type EtcdConnection } from './etcd';
import { getKey, putKey } from './etcd-kv';
import { decodeStatus, defaultStatusPrefix } from './node-status';
import { watchAndPull } from './watch-and-pull';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
let repo: BareRepo;
let commits: string[];
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
  repo = await fixtures.repo('watch');
  commits = await commitSeries(repo.dir, 40, (i) => ({
    'site/index.html': `<h1>version ${i}</h1>\n`,
    'nginx/site.conf': `# config ${i}\n`,
  }));
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.dispose()));
});
afterAll(async () => {
  if (etcd) await forgetKeys(etcd);
  etcd?.close();
});

const commit = (i: number) => commits[i] ?? '';
const node = async (key: string, extra: Partial<Parameters<typeof directoryNode>[0]> = {}) => {
  const n = await directoryNode({
    etcd,
    key,
    url: repo.url,
    nodeId: `node-${nodes.length}`,
    subdir: 'site/',
    ...extra,
  });
  nodes.push(n);
  return n;
};
const page = async (n: DirectoryNode) => readFile(join(n.dir, 'current/index.html'), 'utf8');

describe('watchAndPull', () => {
  it('publishes what the key names at start, then each change, with its status under a lease', async () => {
    const key = uniqueKey('basic');
    (await announceRevision(etcd, key, { commit: commit(0), by: 'test' }))._unsafeUnwrap();
    const n = await node(key, { statusTtlSeconds: 5 });
    const ready = (await n.handle.ready)._unsafeUnwrap();
    expect(ready).toMatchObject({ commit: commit(0), healthy: true, connected: true });
    expect(await page(n)).toBe('<h1>version 0</h1>\n');

    const revision = (await announceRevision(etcd, key, { commit: commit(1) }))._unsafeUnwrap();
    await until('synced commit 1', () =>
      ofType(n.events, 'synced').some((e) => e.commit === commit(1)),
    );
    expect(n.handle.status()).toMatchObject({ commit: commit(1), revision, healthy: true });
    expect(await page(n)).toBe('<h1>version 1</h1>\n');

    const statusKey = `${defaultStatusPrefix(key)}node-0`;
    await until('status written', async () => {
      const kv = (await getKey(etcd, statusKey))._unsafeUnwrap().kv;
      return kv !== undefined && decodeStatus(kv.value)?.commit === commit(1);
    });
    const stored = (await getKey(etcd, statusKey))._unsafeUnwrap().kv;
    expect(stored?.lease).not.toBe('0');
    expect(decodeStatus(stored?.value ?? Buffer.alloc(0))).toMatchObject({
      nodeId: 'node-0',
      ok: true,
      healthy: true,
      revision,
    });

    await n.handle.stop();
    expect((await getKey(etcd, statusKey))._unsafeUnwrap().kv).toBeUndefined();
    expect(ofType(n.events, 'stopped')).toHaveLength(1);
  });

  it('takes a full SHA, a ref and the JSON form; anything else is an invalid-value event and the old content stays', async () => {
    const key = uniqueKey('forms');
    (await putKey(etcd, key, commit(2)))._unsafeUnwrap();
    const n = await node(key);
    expect((await n.handle.ready)._unsafeUnwrap().commit).toBe(commit(2));

    (await putKey(etcd, key, 'main'))._unsafeUnwrap();
    await until('synced main', () =>
      ofType(n.events, 'synced').some((e) => e.announcement.form === 'ref'),
    );
    expect(await n.served()).toBe(commits.at(-1));

    const bad = (await putKey(etcd, key, Buffer.from([0x7b, 0xff, 0x00])))._unsafeUnwrap();
    await until('invalid value', () => ofType(n.events, 'invalid-value').length > 0);
    const [invalid] = ofType(n.events, 'invalid-value');
    expect(invalid?.error).toMatchObject({
      kind: 'InvalidAnnouncement',
      key,
      revision: bad,
      reason: 'not UTF-8 text',
    });
    expect(n.handle.status()).toMatchObject({
      commit: commits.at(-1),
      healthy: false,
      lastError: { kind: 'InvalidAnnouncement' },
    });
    expect(await n.served()).toBe(commits.at(-1));

    (
      await putKey(etcd, key, JSON.stringify({ commit: commit(3), ref: 'main', by: 'jenkins#7' }))
    )._unsafeUnwrap();
    await until('synced JSON', () =>
      ofType(n.events, 'synced').some((e) => e.commit === commit(3)),
    );
    expect(n.handle.status()).toMatchObject({ commit: commit(3), healthy: true });
    expect(ofType(n.events, 'synced').at(-1)?.announcement).toMatchObject({
      form: 'json',
      by: 'jenkins#7',
    });
  });

  it('coalesces a burst: one publish at a time, ending with exactly the last value', async () => {
    const key = uniqueKey('burst');
    (await announceRevision(etcd, key, { commit: commit(0) }))._unsafeUnwrap();
    const n = await node(key);
    (await n.handle.ready)._unsafeUnwrap();
    for (let i = 1; i <= 30; i++)
      (await announceRevision(etcd, key, { commit: commit(i) }))._unsafeUnwrap();
    await until('synced the last', () => n.handle.status().commit === commit(30));
    await new Promise((r) => setTimeout(r, 200)); // nothing may follow the last value
    const synced = ofType(n.events, 'synced');
    expect(synced.at(-1)?.commit).toBe(commit(30));
    expect(synced.length).toBeLessThan(30);
    expect(
      ofType(n.events, 'skipped').filter((e) => e.reason === 'superseded').length,
    ).toBeGreaterThan(0);
    // Revisions applied only go up.
    const applied = synced.map((e) => e.revision);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
  });

  it('publishes repository folders into their targets, configuration first, and stops at a failed check', async () => {
    const key = uniqueKey('folders');
    const work = await fixtures.dir('berth-folders');
    const order: string[] = [];
    let refuse = false;
    const source = openGitSource({ url: repo.url, cacheDir: join(work, 'cache') })._unsafeUnwrap();
    const handle = watchAndPull({
      etcd,
      key,
      nodeId: 'folders',
      source,
      retry: { initialMs: 50, maxMs: 100 },
      targets: [
        {
          target: directoryTarget(join(work, 'www')),
          subdir: 'site/',
          afterActivate: (c) => (order.push(`site ${c.commit.slice(0, 7)}`), okAsync(undefined)),
        },
        {
          target: directoryTarget(join(work, 'nginx')),
          subdir: 'nginx/',
          role: 'configuration',
          beforeActivate: (c) =>
            refuse
              ? errAsync(
                  berthError.hookFailed({
                    hook: 'beforeActivate',
                    commit: c.commit,
                    message: 'config refused',
                  }),
                )
              : okAsync(undefined),
          afterActivate: (c) => (order.push(`nginx ${c.commit.slice(0, 7)}`), okAsync(undefined)),
        },
      ],
    })._unsafeUnwrap();
    const events = recordEvents(handle);
    try {
      (await announceRevision(etcd, key, { commit: commit(4) }))._unsafeUnwrap();
      await until('synced 4', () => handle.status().commit === commit(4));
      expect(order).toEqual([`nginx ${commit(4).slice(0, 7)}`, `site ${commit(4).slice(0, 7)}`]);
      expect(await readFile(join(work, 'nginx/current/site.conf'), 'utf8')).toBe('# config 4\n');
      expect(ofType(events, 'synced')[0]?.targets.map((t) => t.subdir)).toEqual([
        'nginx/',
        'site/',
      ]);

      refuse = true;
      (await announceRevision(etcd, key, { commit: commit(5) }))._unsafeUnwrap();
      await until('failed twice', () => ofType(events, 'failed').length >= 2);
      expect(ofType(events, 'failed')[0]?.error).toMatchObject({ kind: 'HookFailed' });
      expect(ofType(events, 'retrying').length).toBeGreaterThan(0);
      expect(await servedCommit(join(work, 'www'))).toBe(commit(4));
      expect(await servedCommit(join(work, 'nginx'))).toBe(commit(4));
      expect(handle.status()).toMatchObject({ healthy: false, commit: commit(4) });

      refuse = false;
      await until('synced 5 after the retries', () => handle.status().commit === commit(5), 10_000);
      expect(handle.status().healthy).toBe(true);
    } finally {
      await handle.stop();
    }
  });

  it('never interrupts a swap: stop() and the signal wait for the publish in flight', async () => {
    const key = uniqueKey('stop');
    (await announceRevision(etcd, key, { commit: commit(8) }))._unsafeUnwrap();
    const work = await fixtures.dir('berth-stop');
    const controller = new AbortController();
    let checking: () => void = () => undefined;
    const inCheck = new Promise<void>((resolve) => (checking = resolve));
    const handle = watchAndPull({
      ...baseOptions(key),
      source: openGitSource({ url: repo.url, cacheDir: join(work, 'cache') })._unsafeUnwrap(),
      signal: controller.signal,
      targets: [
        {
          target: directoryTarget(join(work, 'www')),
          subdir: 'site/',
          beforeActivate: () => {
            checking();
            return ResultAsync.fromSafePromise(new Promise<void>((r) => setTimeout(r, 500)));
          },
        },
      ],
    })._unsafeUnwrap();
    const events = recordEvents(handle);
    await inCheck;
    controller.abort();
    expect((await handle.ready)._unsafeUnwrap().commit).toBe(commit(8));
    await until('stopped', () => ofType(events, 'stopped').length === 1);
    expect(await servedCommit(join(work, 'www'))).toBe(commit(8));
    expect(ofType(events, 'synced').map((e) => e.commit)).toEqual([commit(8)]);
  });

  it('syncNow resolves a ref again: a branch that moved is published without a new announcement', async () => {
    const own = await fixtures.repo('moving');
    const first = await commitFiles(own, { 'index.html': 'first\n' });
    const key = uniqueKey('ref');
    (await putKey(etcd, key, 'main'))._unsafeUnwrap();
    const n = await node(key, { url: own.url, subdir: '' });
    expect((await n.handle.ready)._unsafeUnwrap().commit).toBe(first);
    const second = await commitFiles(own, { 'index.html': 'second\n' });
    expect((await n.handle.syncNow())._unsafeUnwrap().commit).toBe(second);
    expect(await n.served()).toBe(second);
  });
});

function baseOptions(key: string) {
  return {
    etcd,
    key,
    nodeId: 'options',
    source: openGitSource({ url: repo.url })._unsafeUnwrap(),
    targets: [{ target: directoryTarget('/nonexistent') }],
  };
}
