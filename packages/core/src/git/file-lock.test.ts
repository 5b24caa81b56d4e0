import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { useGitFixtures } from '../../../../test/support/git';
import { acquireFileLock, lockPathOf } from './file-lock';

const fixtures = useGitFixtures();
const locks: string[] = [];
afterAll(() => Promise.all(locks.map((path) => rm(path, { force: true }))));

/** A lock file as another holder left it, written `ageMs` ago. */
async function leftLock(content: string, ageMs: number): Promise<string> {
  const dir = await fixtures.dir('berth-file-lock');
  const path = lockPathOf(dir);
  locks.push(path);
  await writeFile(path, content);
  const then = new Date(Date.now() - ageMs);
  await utimes(path, then, then);
  return dir;
}

const foreign = JSON.stringify({ pid: 1, host: `not-${hostname()}`, since: 0 });

describe('acquireFileLock', () => {
  it('waits for a fresh lock of another host, which it cannot check, and leaves it alone', async () => {
    const dir = await leftLock(foreign, 0);
    expect(await acquireFileLock(dir, AbortSignal.timeout(300))).toBeUndefined();
    expect(await readFile(lockPathOf(dir), 'utf8')).toBe(foreign);
  });

  it('breaks a lock of another host older than any fetch takes', async () => {
    const dir = await leftLock(foreign, 11 * 60_000);
    const release = await acquireFileLock(dir, AbortSignal.timeout(10_000));
    expect(release).toBeDefined();
    expect(JSON.parse(await readFile(lockPathOf(dir), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    await release?.();
  });

  it('waits for a lock still being written, and breaks one left half-written', async () => {
    const fresh = await leftLock('', 0);
    expect(await acquireFileLock(fresh, AbortSignal.timeout(300))).toBeUndefined();
    const old = await leftLock('{"pi', 60_000);
    const release = await acquireFileLock(old, AbortSignal.timeout(10_000));
    expect(release).toBeDefined();
    await release?.();
  });

  it('removes its own lock on release, and leaves a lock that is not its own', async () => {
    const dir = await fixtures.dir('berth-file-lock');
    locks.push(lockPathOf(dir));
    const release = await acquireFileLock(dir);
    await writeFile(lockPathOf(dir), foreign);
    await release?.();
    expect(await readFile(lockPathOf(dir), 'utf8')).toBe(foreign);
  });
});
