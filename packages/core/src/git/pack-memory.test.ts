// The memory a large tree costs once fetched: every blob of a 300 MB tree of random (so
// incompressible: the pack is as large as the tree) files is read through the git source, and
// the process's RSS must not grow by anything like the pack's size.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { git, useGitFixtures } from '../../../../test/support/git';
import { openTestSource } from '../../../../test/support/git-source';

const fixtures = useGitFixtures();

const FILES = 60;
const FILE_BYTES = 5 * 1024 * 1024;
const MAX_GROWTH_MB = 200;

/** V8's collector, exposed at run time: the reading phase is measured from a collected heap. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : () => undefined;
}

/** Peak RSS growth (sampled every 20 ms) while `work` runs. */
async function peakGrowthMb(work: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return (Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20;
}

describe('memory', () => {
  it(`reads every blob of a ${(FILES * FILE_BYTES) / 2 ** 20} MB tree with RSS growing by at most ${MAX_GROWTH_MB} MB`, async () => {
    const repo = await fixtures.repo('pack-memory');
    // Written file by file and packed by git without compression or delta search, so making
    // the fixture costs seconds and this process never holds the tree.
    const work = await fixtures.dir('berth-pack-memory-work');
    await mkdir(join(work, 'big'));
    for (let i = 0; i < FILES; i++) {
      await writeFile(join(work, 'big', `${i}.bin`), randomBytes(FILE_BYTES));
    }
    const quick = ['-c', 'core.compression=0', '-c', 'pack.compression=0'];
    await git([...quick, '--work-tree', work, 'add', '-A'], { gitDir: repo.dir });
    await git([...quick, '--work-tree', work, 'commit', '-qm', 'big'], { gitDir: repo.dir });
    await git([...quick, 'repack', '-adq', '--window=0'], { gitDir: repo.dir });
    await rm(work, { recursive: true, force: true });

    const source = await openTestSource(fixtures, { url: repo.url, timeoutMs: 170_000 });
    const commit = (await source.resolve('main'))._unsafeUnwrap();
    // isomorphic-git held the whole pack while fetching: start from a collected heap.
    const gc = collector();
    gc();
    await sleep(100);
    gc();

    let bytes = 0;
    let blobs = 0;
    const growth = await peakGrowthMb(async () => {
      const entries = (await source.listTree(commit))._unsafeUnwrap();
      for (const entry of entries.filter((e) => e.type === 'blob')) {
        bytes += (await source.readBlob(entry.oid))._unsafeUnwrap().length;
        blobs += 1;
      }
    });
    expect({ blobs, bytes }).toEqual({ blobs: FILES, bytes: FILES * FILE_BYTES });
    expect(growth).toBeLessThanOrEqual(MAX_GROWTH_MB);
  }, 180_000);
});
