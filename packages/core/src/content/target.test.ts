// The same contract for both adapters: a local directory and a data container's volume over the API.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataContainer } from '../containers/data-container';
import { runServiceContainer, type ServiceContainer } from '../containers/service-container';
import { LABEL_TEST_RUN, removeRunResources, useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { containerTarget } from './container-target';
import { directoryTarget } from './directory-target';
import type { ContentTarget, StagedFile, StageRequest } from './target';

const sh = promisify(execFile);
const t = useTestDocker();
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
async function* files(
  list: Record<string, string | { link: string } | { exec: string }>,
): AsyncGenerator<StagedFile> {
  for (const [path, value] of Object.entries(list)) {
    if (typeof value === 'string') yield { path, kind: 'file', content: Buffer.from(value) };
    else if ('link' in value) yield { path, kind: 'symlink', content: Buffer.from(value.link) };
    else yield { path, kind: 'executable', content: Buffer.from(value.exec) };
  }
}

function request(
  commit: string,
  over: Partial<StageRequest> & { list?: Parameters<typeof files>[0] },
): StageRequest {
  const { list = {}, ...rest } = over;
  return {
    commit,
    files: files(list),
    deleted: [],
    replaced: [],
    mtime: new Date(),
    expectActive: undefined,
    ...rest,
  };
}

interface Fixture {
  target: ContentTarget;
  /** A second writer on the same content (another process would be one). */
  another(): ContentTarget;
  /** Runs a shell command where the content is, in the content's root. */
  shell(command: string): Promise<string>;
  dispose(): Promise<void>;
}

const fixtures: Record<string, () => Promise<Fixture>> = {
  directory: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-target-'));
    return {
      target: directoryTarget(dir),
      another: () => directoryTarget(dir),
      shell: async (command) => (await sh('sh', ['-c', command], { cwd: dir })).stdout,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
  container: async () => {
    // These live for the whole file: labelled apart from the per-test sweep, removed by dispose().
    const labels = { [LABEL_TEST_RUN]: `${t.runId}-file` };
    const data = (
      await createDataContainer(t.docker, {
        name: t.name('www'),
        image: serviceEnv().imageBusybox,
        volumes: ['/www'],
        labels,
      })
    )._unsafeUnwrap();
    const reader: ServiceContainer = (
      await runServiceContainer(t.docker, {
        name: t.name('reader'),
        image: serviceEnv().imageBusybox,
        command: ['sleep', '600'],
        volumesFrom: [data.name],
        network: 'none',
        labels,
      })
    )._unsafeUnwrap();
    const target = containerTarget(t.docker, { container: data.name, path: '/www', labels });
    const others: ContentTarget[] = [];
    return {
      target,
      another: () => {
        const other = containerTarget(t.docker, { container: data.name, path: '/www', labels });
        others.push(other);
        return other;
      },
      shell: async (command) => {
        const r = (await reader.exec(['sh', '-c', `cd /www && ${command}`]))._unsafeUnwrap();
        if (r.exitCode !== 0) throw new Error(r.stderr);
        return r.stdout;
      },
      dispose: async () => {
        for (const other of others) (await other.close())._unsafeUnwrap();
        (await target.close())._unsafeUnwrap();
        (await reader.remove())._unsafeUnwrap();
        await removeRunResources(t.docker, `${t.runId}-file`);
      },
    };
  },
};

describe.each(Object.keys(fixtures))('%s target', (kind) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await (fixtures[kind] as () => Promise<Fixture>)();
  });
  afterAll(async () => {
    await f?.dispose();
  });

  it('starts empty', async () => {
    expect((await f.target.state())._unsafeUnwrap()).toEqual({ releases: [] });
  });

  it('stages and activates a first release with files, an executable and a symlink', async () => {
    const report = (
      await f.target.stage(
        request(A, {
          list: {
            'index.html': 'A index\n',
            'css/site.css': 'body{}\n',
            'bin/run': { exec: '#!/bin/sh\n' },
            latest: { link: 'index.html' },
          },
          activate: {},
        }),
      )
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: true, state: { active: A, releases: [A] } });
    expect(report.bytesSent).toBe(
      'A index\n'.length + 'body{}\n'.length + '#!/bin/sh\n'.length + 'index.html'.length,
    );
    expect(await f.shell('readlink current')).toBe(`.berth/releases/${A}\n`);
    expect(await f.shell('cat current/index.html current/latest')).toBe('A index\nA index\n');
    expect(await f.shell('stat -c %a current/bin/run current/index.html')).toBe('755\n644\n');
  });

  it('builds the next release from the active one, sending only what changed', async () => {
    const report = (
      await f.target.stage(
        request(B, {
          base: A,
          expectActive: A,
          list: { 'index.html': 'B index\n', 'new.txt': 'new\n' },
          replaced: ['index.html'],
          deleted: ['css'],
          activate: {},
        }),
      )
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: true, state: { active: B, previous: A } });
    expect(report.bytesSent).toBe('B index\n'.length + 'new\n'.length);
    expect(await f.shell('cat current/index.html current/new.txt current/latest')).toBe(
      'B index\nnew\nB index\n',
    );
    expect(await f.shell('test -e current/css && echo present || echo gone')).toBe('gone\n');
    // The unchanged file is the same inode in both releases; the replaced one is not, and A kept its content.
    const inodes = (
      await f.shell(
        `stat -c %i .berth/releases/${A}/bin/run .berth/releases/${B}/bin/run .berth/releases/${A}/index.html .berth/releases/${B}/index.html`,
      )
    ).split('\n');
    expect(inodes[0]).toBe(inodes[1]);
    expect(inodes[2]).not.toBe(inodes[3]);
    expect(await f.shell(`cat .berth/releases/${A}/index.html`)).toBe('A index\n');
  });

  it('reports the disk its releases take, as du counts it (a hard-linked file once)', async () => {
    const bytes = (await f.target.diskUsage?.())?._unsafeUnwrap();
    const kib = Number((await f.shell('du -sk .berth')).split(/\s/)[0]);
    expect(bytes).toBe(kib * 1024);
    // Two releases share bin/run by a hard link: counted once, so less than both trees apart.
    const apart = Number(
      (
        await f.shell(
          `du -skl .berth/releases/${A} .berth/releases/${B} | awk '{s+=$1} END {print s}'`,
        )
      ).trim(),
    );
    expect(bytes).toBeLessThanOrEqual(apart * 1024 + 64 * 1024);
  });

  it('refuses to build on a stale view of the active release', async () => {
    const error = (
      await f.target.stage(request(C, { base: A, expectActive: A, list: { x: 'x' }, activate: {} }))
    )._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'TargetStateChanged', expected: A, found: B });
    expect(await f.shell('readlink current')).toBe(`.berth/releases/${B}\n`);
  });

  it('writes nothing for a release that is already complete', async () => {
    const report = (
      await f.target.stage(request(A, { expectActive: B, list: { 'index.html': 'ignored' } }))
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: false, bytesSent: 0, state: { active: B } });
    expect(await f.shell(`cat .berth/releases/${A}/index.html`)).toBe('A index\n');
  });

  it('fails as TargetIo when the files cannot be produced, and the active release stays', async () => {
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source, like the publisher's
    async function* unreadable(): AsyncGenerator<StagedFile> {
      yield { path: 'index.html', kind: 'file', content: Buffer.from('C') };
      throw new Error('blob unreadable');
    }
    const error = (
      await f.target.stage({ ...request(C, { expectActive: B }), files: unreadable() })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'TargetIo' });
    expect(error.message).toContain('blob unreadable');
    expect(await f.shell('readlink current')).toBe(`.berth/releases/${B}\n`);
    expect(await f.shell('ls .berth/releases')).not.toContain(C);
  });

  it('rolls back to the previous release and forward again', async () => {
    expect((await f.target.rollback())._unsafeUnwrap()).toMatchObject({ active: A, previous: B });
    expect(await f.shell('cat current/index.html')).toBe('A index\n');
    expect((await f.target.rollback())._unsafeUnwrap()).toMatchObject({ active: B, previous: A });
  });

  it('keeps `keep` releases, never the active or the previous one', async () => {
    (
      await f.target.stage(request(C, { expectActive: B, list: { 'index.html': 'C' } }))
    )._unsafeUnwrap();
    (
      await f.target.stage(request(D, { expectActive: B, list: { 'index.html': 'D' } }))
    )._unsafeUnwrap();
    // Activate A then B again: B active, A previous, C and D the oldest by activation.
    (await f.target.activate(A, { keep: 10 }))._unsafeUnwrap();
    const state = (await f.target.activate(B, { keep: 2 }))._unsafeUnwrap();
    expect(state).toMatchObject({ active: B, previous: A });
    expect([...state.releases].sort()).toEqual([A, B]);
    expect(await f.shell('ls .berth/releases | sort')).toBe(
      `${A}\n${A}.manifest\n${B}\n${B}.manifest\n`,
    );
  });

  it('refuses to activate a release that is not there', async () => {
    expect((await f.target.activate(C))._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
    expect(await f.shell('readlink current')).toBe(`.berth/releases/${B}\n`);
  });

  it('takes what is at a release path without a manifest for stale staging: rebuilt, never activated as is', async () => {
    const E = 'e'.repeat(40);
    await f.shell(
      `mkdir -p .berth/releases/${E} && echo foreign > .berth/releases/${E}/index.html`,
    );
    expect((await f.target.state({ fresh: true }))._unsafeUnwrap().releases).not.toContain(E);
    expect((await f.target.activate(E))._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput' });
    const report = (
      await f.target.stage(
        request(E, { expectActive: B, list: { 'index.html': 'E', 'a/b.txt': 'b' }, activate: {} }),
      )
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: true, state: { active: E, previous: B } });
    expect(await f.shell('cat current/index.html current/a/b.txt')).toBe('Eb');
    const check = (await f.target.check(E))._unsafeUnwrap();
    expect(check).toMatchObject({ commit: E, verified: true, problems: [], files: 2 });
    expect((await f.target.check(E, { full: true }))._unsafeUnwrap().verified).toBe(true);
  });

  it('two writers racing from the same active release: one swaps, the other says TargetStateChanged', async () => {
    const active = (await f.target.state({ fresh: true }))._unsafeUnwrap().active;
    const F = 'f'.repeat(40);
    const G = '9'.repeat(40);
    const big = (tag: string) =>
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p/${i}.html`, `${tag} ${i}`]));
    const other = f.another();
    const outcomes = await Promise.all([
      f.target.stage(request(F, { expectActive: active, list: big('F'), activate: {} })),
      other.stage(request(G, { expectActive: active, list: big('G'), activate: {} })),
    ]);
    const ok = outcomes.filter((o) => o.isOk());
    const failed = outcomes.filter((o) => o.isErr());
    expect(ok).toHaveLength(1);
    expect(failed[0]?._unsafeUnwrapErr()).toMatchObject({ kind: 'TargetStateChanged' });
    const live = (await f.shell('readlink current')).trim().split('/').pop() ?? '';
    expect([F, G]).toContain(live);
    expect(ok[0]?._unsafeUnwrap().state.active).toBe(live);
    // The winner's release is whole; the loser's never became one, and left no work behind.
    const check = (await f.target.check(live, { full: true }))._unsafeUnwrap();
    expect(check).toMatchObject({ verified: true, files: 200 });
    const loser = live === F ? G : F;
    expect((await f.target.state({ fresh: true }))._unsafeUnwrap().releases).not.toContain(loser);
    // Back to where the next tests expect to be.
    (await f.target.activate('e'.repeat(40)))._unsafeUnwrap();
  });

  it('stages and activates an upload larger than the script session takes (its own exec), pruning under the lock it holds', async () => {
    // 5 MiB of files: past the session's input size, so the stage runs in an exec of its own,
    // and activating there prunes at once, under the lock the stage took (taking it a second
    // time is an error the script reports, not a 30 s wait for itself).
    const active = (await f.target.state({ fresh: true }))._unsafeUnwrap().active;
    const H = '8'.repeat(40);
    const chunk = 'x'.repeat(64 * 1024);
    const list = Object.fromEntries(
      Array.from({ length: 80 }, (_, i) => [`big/${i}.bin`, `${i} ${chunk}`]),
    );
    const report = (
      await f.target.stage(request(H, { expectActive: active, list, activate: {} }))
    )._unsafeUnwrap();
    expect(report).toMatchObject({ written: true, state: { active: H, previous: active } });
    expect(report.bytesSent).toBeGreaterThan(5 * 1024 * 1024);
    expect((await f.target.check(H, { full: true }))._unsafeUnwrap()).toMatchObject({
      verified: true,
      files: 80,
    });
    expect((await f.shell('ls .berth')).split('\n')).not.toContain('lock');
    // Back to where the next tests expect to be.
    (await f.target.activate(active ?? ''))._unsafeUnwrap();
  });

  it('finds a damaged release: a file missing, a size changed, an extra file, a changed byte', async () => {
    const E = 'e'.repeat(40);
    await f.shell(`cd .berth/releases/${E} && rm a/b.txt && echo extra > x.txt`);
    const cheap = (await f.target.check(E))._unsafeUnwrap();
    expect(cheap.verified).toBe(false);
    expect(cheap.problems).toContain('a/b.txt: missing');
    await f.shell(`cd .berth/releases/${E} && printf F > index.html`);
    const full = (await f.target.check(E, { full: true }))._unsafeUnwrap();
    expect(full.problems).toEqual(
      expect.arrayContaining([
        'a/b.txt: missing',
        'x.txt: not in the tree',
        expect.stringMatching(/^index\.html: content [0-9a-f]{40}, expected/),
      ]),
    );
    // Rebuilt in place when asked, and whole again.
    (
      await f.target.stage(
        request(E, {
          expectActive: E,
          list: { 'index.html': 'E', 'a/b.txt': 'b' },
          replaceExisting: true,
          activate: {},
        }),
      )
    )._unsafeUnwrap();
    expect((await f.target.check(E, { full: true }))._unsafeUnwrap()).toMatchObject({
      verified: true,
      problems: [],
    });
    expect(await f.shell('ls current')).toBe('a\nindex.html\n');
  });
});
