import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures } from '../../../../test/support/git';
import { PackIndex } from './pack-index';

const fixtures = useGitFixtures();

interface Entry {
  readonly oid: string;
  readonly offset: number;
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

function fanout(sorted: readonly Entry[]): Buffer {
  const table = Buffer.alloc(256 * 4);
  for (let byte = 0; byte < 256; byte++) {
    const upTo = sorted.filter((e) => parseInt(e.oid.slice(0, 2), 16) <= byte).length;
    table.writeUInt32BE(upTo, byte * 4);
  }
  return table;
}

function trailer(body: Buffer): Buffer {
  const packChecksum = Buffer.alloc(20, 0xaa);
  const withPack = Buffer.concat([body, packChecksum]);
  return Buffer.concat([withPack, createHash('sha1').update(withPack).digest()]);
}

/** A version 2 index as git lays it out; offsets above `largeAbove` go to the 8-byte table. */
function indexV2(entries: readonly Entry[], largeAbove = 0x7fffffff): Buffer {
  const sorted = [...entries].sort((a, b) => a.oid.localeCompare(b.oid));
  const large: Buffer[] = [];
  const offsets = sorted.map((e) => {
    if (e.offset <= largeAbove) return u32(e.offset);
    const slot = Buffer.alloc(8);
    slot.writeBigUInt64BE(BigInt(e.offset));
    large.push(slot);
    return u32(0x80000000 + large.length - 1);
  });
  return trailer(
    Buffer.concat([
      u32(0xff744f63),
      u32(2),
      fanout(sorted),
      ...sorted.map((e) => Buffer.from(e.oid, 'hex')),
      ...sorted.map(() => u32(0)),
      ...offsets,
      ...large,
    ]),
  );
}

function indexV1(entries: readonly Entry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.oid.localeCompare(b.oid));
  return trailer(
    Buffer.concat([
      fanout(sorted),
      ...sorted.flatMap((e) => [u32(e.offset), Buffer.from(e.oid, 'hex')]),
    ]),
  );
}

const oid = () => randomBytes(20).toString('hex');
const parse = (bytes: Buffer) => {
  const index = PackIndex.parse(bytes);
  if (typeof index === 'string') throw new Error(index);
  return index;
};

describe('PackIndex', () => {
  it('finds every object of a version 2 index, small and 64-bit offsets alike', () => {
    const entries: Entry[] = [
      { oid: `00${oid().slice(2)}`, offset: 12 },
      { oid: `ff${oid().slice(2)}`, offset: 0x7fffffff },
      { oid: oid(), offset: 0x80000000 },
      { oid: oid(), offset: 5 * 2 ** 30 },
      { oid: oid(), offset: 2 ** 52 },
      ...Array.from({ length: 500 }, (_, i) => ({ oid: oid(), offset: 12 + i * 100 })),
    ];
    const index = parse(indexV2(entries));
    expect(index.version).toBe(2);
    expect(index.count).toBe(entries.length);
    for (const entry of entries) {
      expect(index.offsetOf(Buffer.from(entry.oid, 'hex'))).toBe(entry.offset);
    }
    expect(index.oids()).toEqual(entries.map((e) => e.oid).sort());
    expect(index.packChecksum).toEqual(Buffer.alloc(20, 0xaa));
  });

  it('answers undefined for an object it does not list, and for a malformed name', () => {
    const listed = oid();
    const index = parse(indexV2([{ oid: listed, offset: 12 }]));
    expect(index.offsetOf(Buffer.from(oid(), 'hex'))).toBeUndefined();
    expect(index.offsetOf(Buffer.from(listed.slice(0, 38), 'hex'))).toBeUndefined();
    expect(index.has(Buffer.from(listed, 'hex'))).toBe(true);
    expect(parse(indexV2([])).offsetOf(Buffer.from(listed, 'hex'))).toBeUndefined();
  });

  it('reads a version 1 index', () => {
    const entries = Array.from({ length: 300 }, (_, i) => ({ oid: oid(), offset: 12 + i * 7 }));
    const index = parse(indexV1(entries));
    expect(index.version).toBe(1);
    for (const entry of entries) {
      expect(index.offsetOf(Buffer.from(entry.oid, 'hex'))).toBe(entry.offset);
    }
  });

  it('describes a malformed index instead of throwing', () => {
    const good = indexV2([
      { oid: `10${oid().slice(2)}`, offset: 12 },
      { oid: `20${oid().slice(2)}`, offset: 2 ** 33 },
    ]);
    expect(PackIndex.parse(good.subarray(0, 100))).toMatch(/truncated/);
    expect(PackIndex.parse(good.subarray(0, good.length - 1))).toMatch(/cannot be/);
    const version3 = Buffer.from(good);
    version3.writeUInt32BE(3, 4);
    expect(PackIndex.parse(version3)).toMatch(/unsupported pack index version 3/);
    const decreasing = Buffer.from(good);
    decreasing.writeUInt32BE(0, 8 + 0x30 * 4);
    expect(PackIndex.parse(decreasing)).toMatch(/fan-out decreases/);
    // The second entry's 4-byte offset names slot 1 of a one-slot large-offset table.
    const pastTable = Buffer.from(good);
    pastTable.writeUInt32BE(0x80000001, 8 + 1024 + 2 * 20 + 2 * 4 + 4);
    expect(PackIndex.parse(pastTable)).toMatch(/large offset 1 of 1/);
    const huge = Buffer.from(good);
    huge.writeBigUInt64BE(2n ** 60n, 8 + 1024 + 2 * 20 + 2 * 4 + 2 * 4);
    expect(PackIndex.parse(huge)).toMatch(/past 2\^53/);
  });

  it('agrees with git show-index on indexes git wrote: version 2, version 1, forced 64-bit offsets', async () => {
    const gitDir = await fixtures.dir('berth-pack-index');
    await git(['init', '-q', '--bare', gitDir]);
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`d${i % 4}/f${i}.txt`] = `${i} ${oid()}\n`.repeat(i + 1);
    await commitFiles(gitDir, files);
    await git(['repack', '-adq'], { gitDir });
    const packDir = join(gitDir, 'objects', 'pack');
    const pack = (await readdir(packDir)).find((f) => f.endsWith('.pack')) as string;
    for (const [version, flag] of [
      [2, '2'],
      [1, '1'],
      [2, '2,64'],
    ] as const) {
      const out = join(gitDir, `v${flag.replace(',', '-')}.idx`);
      await git(['index-pack', `--index-version=${flag}`, '-o', out, join(packDir, pack)]);
      const bytes = await readFile(out);
      const listing = await git(['show-index'], { input: bytes, gitDir });
      const index = parse(bytes);
      expect(index.version).toBe(version);
      const lines = listing.split('\n');
      expect(index.count).toBe(lines.length);
      for (const line of lines) {
        const [offset, name] = line.split(' ');
        expect(index.offsetOf(Buffer.from(name as string, 'hex'))).toBe(Number(offset));
      }
      // 64-bit entries really were written: the table after the 4-byte offsets is not empty.
      const large = bytes.length - 40 - (8 + 1024 + index.count * 28);
      if (flag === '2,64') expect(large).toBeGreaterThan(0);
    }
  });
});
