import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultAsync, okAsync } from 'neverthrow';
import { describe, expect, it, vi } from 'vitest';
import { withDirLock } from './lock';

/** A step that waits until `release` is called, recording when it ran. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const run = () => {
    log.push(`${name}:start`);
    return ResultAsync.fromSafePromise(opened).map(() => {
      log.push(`${name}:end`);
      return name;
    });
  };
  return { run, open };
}

/** Lets every pending promise callback run (a macrotask comes after all microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('withDirLock', () => {
  it('lets readers share and keeps a writer alone, in arrival order', async () => {
    const dir = join(tmpdir(), `berth-lock-test-${Math.random()}`);
    const log: string[] = [];
    const r1 = gate(log, 'r1');
    const w = gate(log, 'w');
    const r2 = gate(log, 'r2');
    const first = withDirLock(dir, 'shared', r1.run);
    const writer = withDirLock(dir, 'exclusive', w.run);
    const second = withDirLock(dir, 'shared', r2.run);
    await settle();
    expect(log).toEqual(['r1:start']);
    r1.open();
    expect((await first)._unsafeUnwrap()).toBe('r1');
    // The writer also takes the directory's lock file before it runs.
    await vi.waitFor(() => expect(log).toEqual(['r1:start', 'r1:end', 'w:start']));
    w.open();
    r2.open();
    expect((await writer)._unsafeUnwrap()).toBe('w');
    expect((await second)._unsafeUnwrap()).toBe('r2');
    expect(log).toEqual(['r1:start', 'r1:end', 'w:start', 'w:end', 'r2:start', 'r2:end']);
  });

  it('answers Aborted to a waiter whose signal fires, and never runs it', async () => {
    const dir = join(tmpdir(), `berth-lock-test-${Math.random()}`);
    const log: string[] = [];
    const holder = gate(log, 'holder');
    const held = withDirLock(dir, 'exclusive', holder.run);
    const controller = new AbortController();
    let ran = false;
    const waiting = withDirLock(
      dir,
      'exclusive',
      () => {
        ran = true;
        return okAsync('never');
      },
      controller.signal,
    );
    controller.abort();
    expect((await waiting)._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
    holder.open();
    (await held)._unsafeUnwrap();
    expect(ran).toBe(false);
    expect((await withDirLock(dir, 'exclusive', () => okAsync('free')))._unsafeUnwrap()).toBe(
      'free',
    );
  });
});
