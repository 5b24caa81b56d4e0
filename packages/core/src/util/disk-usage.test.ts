import { execFile } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { diskUsage } from './disk-usage';

const sh = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-du-'));
  dirs.push(dir);
  return dir;
};
/** What the system's `du` says, in bytes. */
const du = async (path: string) =>
  Number((await sh('du', ['-s', '-B1', path])).stdout.split('\t')[0]);

describe('diskUsage', () => {
  it('counts a file hard-linked into several releases once, as du does', async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'big'), Buffer.alloc(100_000, 1));
    await link(join(dir, 'a', 'big'), join(dir, 'b', 'big'));
    await writeFile(join(dir, 'b', 'own'), Buffer.alloc(10, 1));
    const once = await diskUsage(dir);
    expect(once).toBe(await du(dir));
    expect(once).toBeLessThan(2 * 100_000);
    expect(once).toBeGreaterThanOrEqual(100_000);
  });

  it('does not follow a symlink out of the directory', async () => {
    const dir = await scratch();
    const outside = await scratch();
    await writeFile(join(outside, 'elsewhere'), Buffer.alloc(50_000, 1));
    await symlink(outside, join(dir, 'out'));
    expect(await diskUsage(dir)).toBe(await du(dir));
    expect(await diskUsage(dir)).toBeLessThan(50_000);
  });

  it('answers 0 for a path that does not exist', async () => {
    expect(await diskUsage(join(await scratch(), 'missing'))).toBe(0);
  });
});
