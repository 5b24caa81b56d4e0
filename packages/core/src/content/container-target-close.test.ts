// close() on a container target removes its helper: only after the helper's script loop has
// finished what it left for after its last answer (linking the next stage's copy, pruning under
// the volume's lock). Killed there, the lock stayed behind under a host name no container has
// any more, and the next writer (`berth watch` after a `berth publish`) waited 30 s for it.
import { describe, expect, it } from 'vitest';
import { inspectContainer } from '../containers/inspect';
import { useTestDocker } from '../../../../test/support/docker';
import { volumeReader, wwwData } from '../../../../test/support/www-volume';
import { clientOf } from '../docker/connection';
import { containerTarget } from './container-target';
import type { StagedFile } from './target';

const t = useTestDocker();
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
async function* files(count: number, tag: string): AsyncGenerator<StagedFile> {
  for (let i = 0; i < count; i++)
    yield { path: `f/${i}.html`, kind: 'file', content: Buffer.from(`${tag} ${i}\n`) };
}

/** A data container with /www, a reader mounting it, and what a test needs to look at them. */
async function setUp() {
  const data = await wwwData(t);
  const helper = () =>
    inspectContainer(t.docker, `${data.name}-berth-helper`, { exactName: true }).map((c) => c?.id);
  const target = () =>
    containerTarget(t.docker, { container: data.name, path: '/www', labels: t.labels });
  return { data, helper, target };
}

describe('containerTarget close()', () => {
  it('removes the helper only once its later work is done: no lock, nothing half-linked, and a new helper stages on top', async () => {
    const { data, helper, target } = await setUp();
    const reader = await volumeReader(t, data.name);
    const ls = async (dir: string): Promise<string[]> => {
      const r = (
        await reader.exec(['sh', '-c', `ls -A /www/.berth/${dir} 2>/dev/null || :`])
      )._unsafeUnwrap();
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    // 3,000 files: linking the next stage's copy of them (cp -al, after the answer) takes a while.
    const first = target();
    const staged = await first.stage({
      commit: A,
      files: files(3000, 'a'),
      deleted: [],
      replaced: [],
      mtime: new Date(),
      expectActive: undefined,
      activate: {},
    });
    expect(staged._unsafeUnwrap().state).toMatchObject({ active: A });
    const firstHelper = (await helper())._unsafeUnwrap();
    expect(firstHelper).toBeDefined();
    (await first.close())._unsafeUnwrap();

    expect((await helper())._unsafeUnwrap()).toBeUndefined();
    expect(await ls('')).not.toContain('lock');
    // The later work ran to its end: the next stage's copy is in place, nothing is left under
    // the removed helper's host name (no prune would ever take that for abandoned).
    expect(await ls('staging')).toEqual([`next.${A}`]);
    expect(
      [...(await ls('staging')), ...(await ls('trash'))].filter((e) => e.includes('~')),
    ).toEqual([]);

    const second = target();
    const next = await second.stage({
      commit: B,
      base: A,
      files: files(1, 'b'),
      deleted: [],
      replaced: ['f/0.html'],
      mtime: new Date(),
      expectActive: A,
      activate: {},
    });
    expect(next._unsafeUnwrap().state).toMatchObject({ active: B, previous: A });
    expect((await helper())._unsafeUnwrap()).not.toBe(firstHelper);
    (await second.close())._unsafeUnwrap();
    expect(await ls('')).not.toContain('lock');
    expect(await ls('staging')).toEqual([`next.${B}`]);
    const served = (
      await reader.exec(['cat', '/www/current/f/0.html', '/www/current/f/2999.html'])
    )._unsafeUnwrap();
    expect(served.stdout).toBe('b 0\na 2999\n');
  });
});

describe('containerTarget and its helper, shared and removed', () => {
  const stage = (commit: string, expectActive: string | undefined, tag: string) => ({
    commit,
    files: files(2, tag),
    deleted: [],
    replaced: [],
    mtime: new Date(),
    expectActive,
    activate: {},
  });

  it('close() leaves the helper while another writer runs in it; the last to close removes it', async () => {
    const { helper, target } = await setUp();
    const watcher = target();
    const oneOff = target();
    expect((await watcher.stage(stage(A, undefined, 'a')))._unsafeUnwrap().state.active).toBe(A);
    const shared = (await helper())._unsafeUnwrap();
    // The second writer finds the helper running and works in it too.
    expect((await oneOff.stage(stage(B, A, 'b')))._unsafeUnwrap().state.active).toBe(B);
    expect((await helper())._unsafeUnwrap()).toBe(shared);
    (await oneOff.close())._unsafeUnwrap();
    // The watcher's session still runs there: the helper stays, and the watcher goes on in it.
    expect((await helper())._unsafeUnwrap()).toBe(shared);
    expect((await watcher.state({ fresh: true }))._unsafeUnwrap()).toMatchObject({ active: B });
    (await watcher.close())._unsafeUnwrap();
    expect((await helper())._unsafeUnwrap()).toBeUndefined();
  });

  it('a helper removed under the target: the failure says so, and the next script makes a new one', async () => {
    const { helper, target } = await setUp();
    const writer = target();
    try {
      expect((await writer.stage(stage(A, undefined, 'a')))._unsafeUnwrap().state.active).toBe(A);
      const removed = (await helper())._unsafeUnwrap() ?? '';
      await clientOf(t.docker).getContainer(removed).remove({ force: true });
      // The script in flight when it went (or the first after) fails as TargetIo…
      const lost = await writer.state({ fresh: true });
      expect(lost._unsafeUnwrapErr()).toMatchObject({ kind: 'TargetIo' });
      // …and the next one runs in a new helper, on the same content.
      expect((await writer.state({ fresh: true }))._unsafeUnwrap()).toMatchObject({ active: A });
      const made = (await helper())._unsafeUnwrap();
      expect(made).toBeDefined();
      expect(made).not.toBe(removed);
      expect((await writer.stage(stage(B, A, 'b')))._unsafeUnwrap().state).toMatchObject({
        active: B,
        previous: A,
      });
    } finally {
      (await writer.close())._unsafeUnwrap();
    }
    expect((await helper())._unsafeUnwrap()).toBeUndefined();
  });
});
