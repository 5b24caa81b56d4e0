// Packs written byte by byte, for what `git pack-objects` does not write: a REF_DELTA whose base
// lives outside its pack (loose, or in another pack), an entry that does not hash to its name, a
// cycle of deltas. git itself resolves a REF_DELTA only within its own pack (it fixes thin packs
// on arrival); isomorphic-git looks for the base anywhere in the store, and so does the reader.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { git, useGitFixtures } from '../../../../test/support/git';
import { ObjectReader } from './pack-reader';
import { PackSet } from './pack-set';
import { ObjectStore } from './store';

const fixtures = useGitFixtures();
const opened: PackSet[] = [];
afterAll(() => Promise.all(opened.map((packs) => packs.close())));

const BLOB = 3;
const REF_DELTA = 7;

const sha1 = (...parts: (string | Buffer)[]) => {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const blobOid = (content: Buffer) => sha1(`blob ${content.length}\0`, content).toString('hex');
const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

function entryHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

const wholeBlob = (content: Buffer) =>
  Buffer.concat([entryHeader(BLOB, content.length), deflateSync(content)]);

const refDelta = (baseOid: string, delta: Buffer) =>
  Buffer.concat([
    entryHeader(REF_DELTA, delta.length),
    Buffer.from(baseOid, 'hex'),
    deflateSync(delta),
  ]);

/** A delta that copies all of `base` and appends `suffix` (under 128 bytes). */
function appending(base: Buffer, suffix: Buffer): Buffer {
  const size = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    return [...out, n];
  };
  const length = base.length;
  return Buffer.from([
    ...size(length),
    ...size(length + suffix.length),
    0x80 | 0x10 | 0x20,
    length & 0xff,
    (length >> 8) & 0xff,
    suffix.length,
    ...suffix,
  ]);
}

/** Writes a version 2 pack of `entries` and its index into the repository's pack directory. */
async function writePack(gitDir: string, entries: { oid: string; bytes: Buffer }[]) {
  const offsets: number[] = [];
  let at = 12;
  for (const entry of entries) {
    offsets.push(at);
    at += entry.bytes.length;
  }
  const body = Buffer.concat([
    Buffer.from('PACK'),
    u32(2),
    u32(entries.length),
    ...entries.map((e) => e.bytes),
  ]);
  const checksum = sha1(body);
  const sorted = entries
    .map((entry, i) => ({ ...entry, offset: offsets[i] as number }))
    .sort((a, b) => a.oid.localeCompare(b.oid));
  const fanout = Buffer.alloc(1024);
  for (let byte = 0; byte < 256; byte++) {
    fanout.writeUInt32BE(
      sorted.filter((e) => parseInt(e.oid.slice(0, 2), 16) <= byte).length,
      byte * 4,
    );
  }
  const index = Buffer.concat([
    u32(0xff744f63),
    u32(2),
    fanout,
    ...sorted.map((e) => Buffer.from(e.oid, 'hex')),
    ...sorted.map((e) => u32(crc32(e.bytes))),
    ...sorted.map((e) => u32(e.offset)),
    checksum,
  ]);
  const name = join(gitDir, 'objects', 'pack', `pack-${checksum.toString('hex')}`);
  await writeFile(`${name}.pack`, Buffer.concat([body, checksum]));
  await writeFile(`${name}.idx`, Buffer.concat([index, sha1(index)]));
}

async function emptyRepo() {
  const gitDir = await fixtures.dir('berth-pack-handmade');
  await git(['init', '-q', '--bare', gitDir]);
  const packs = new PackSet(join(gitDir, 'objects', 'pack'));
  opened.push(packs);
  return { gitDir, reader: new ObjectReader(gitDir, packs) };
}

/** A delta that keeps the first `length` bytes of `base` (under 64 KiB). */
function truncating(base: Buffer, length: number): Buffer {
  const size = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    return [...out, n];
  };
  return Buffer.from([
    ...size(base.length),
    ...size(length),
    0x80 | 0x10 | 0x20,
    length & 0xff,
    (length >> 8) & 0xff,
  ]);
}

const suffix = () => Buffer.from('appended\n');

const text = (words: string) => Buffer.from(`${words} ${randomBytes(8).toString('hex')}\n`);

describe('REF_DELTA bases', () => {
  const suffix = Buffer.from('appended\n');

  it('resolves a base in the same pack, as git does', async () => {
    const { gitDir, reader } = await emptyRepo();
    const base = text('same pack');
    const target = Buffer.concat([base, suffix]);
    const oid = blobOid(target);
    await writePack(gitDir, [
      { oid: blobOid(base), bytes: wholeBlob(base) },
      { oid, bytes: refDelta(blobOid(base), appending(base, suffix)) },
    ]);
    expect(await git(['cat-file', '-p', oid], { gitDir })).toBe(target.toString().trim());
    expect(Buffer.from((await reader.read(oid))?.content ?? []).toString()).toBe(target.toString());
  });

  it('resolves a base that is a loose object', async () => {
    const { gitDir, reader } = await emptyRepo();
    const base = text('loose base');
    const baseOid = await git(['hash-object', '-w', '--stdin'], { gitDir, input: base });
    const target = Buffer.concat([base, suffix]);
    const oid = blobOid(target);
    await writePack(gitDir, [{ oid, bytes: refDelta(baseOid, appending(base, suffix)) }]);
    const read = await reader.read(oid);
    expect(read?.type).toBe('blob');
    expect(Buffer.from(read?.content ?? []).toString()).toBe(target.toString());
  });

  it('resolves a base in another pack', async () => {
    const { gitDir, reader } = await emptyRepo();
    const base = text('packed base');
    await writePack(gitDir, [{ oid: blobOid(base), bytes: wholeBlob(base) }]);
    const target = Buffer.concat([base, suffix]);
    const oid = blobOid(target);
    await writePack(gitDir, [{ oid, bytes: refDelta(blobOid(base), appending(base, suffix)) }]);
    expect(Buffer.from((await reader.read(oid))?.content ?? []).toString()).toBe(target.toString());
  });
});

describe('entries that cannot be trusted', () => {
  it('reports an object that does not hash to its name as a corrupt cache', async () => {
    const { gitDir } = await emptyRepo();
    const oid = blobOid(Buffer.from('hello\n'));
    await writePack(gitDir, [{ oid, bytes: wholeBlob(Buffer.from('hellp\n')) }]);
    const store = new ObjectStore('http://127.0.0.1/handmade.git', gitDir);
    expect((await store.read(oid))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitCacheCorrupt',
      problem: 'checksum',
      message: expect.stringMatching(/hashes to/),
    });
  });

  it('reports a cycle of REF_DELTAs in one pack as a delta cycle, at once', async () => {
    const { gitDir, reader } = await emptyRepo();
    const [a, b] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
    const delta = appending(Buffer.from('x'), Buffer.from('y'));
    await writePack(gitDir, [
      { oid: a, bytes: refDelta(b, delta) },
      { oid: b, bytes: refDelta(a, delta) },
    ]);
    await expect(reader.read(a)).rejects.toThrow(/deltas form a cycle/);
  });

  it('reports two packs whose deltas name each other as GitCacheCorrupt delta-cycle', async () => {
    const { gitDir } = await emptyRepo();
    const old = text('old');
    const edited = Buffer.concat([old, suffix()]);
    // What a shallow cache held after publishing A, B (an edit) and the revert of B, stored thin:
    // B's pack has the edit as a delta on the old file, the revert's the old file as one on the edit.
    await writePack(gitDir, [
      { oid: blobOid(edited), bytes: refDelta(blobOid(old), appending(old, suffix())) },
    ]);
    await writePack(gitDir, [
      { oid: blobOid(old), bytes: refDelta(blobOid(edited), truncating(edited, old.length)) },
    ]);
    const store = new ObjectStore('http://127.0.0.1/handmade.git', gitDir);
    for (const oid of [blobOid(old), blobOid(edited)]) {
      expect((await store.read(oid))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitCacheCorrupt',
        problem: 'delta-cycle',
        oid,
      });
    }
  });

  it('reads a REF_DELTA base from its own pack before any other', async () => {
    const { gitDir, reader } = await emptyRepo();
    const old = text('own pack first');
    const edited = Buffer.concat([old, suffix()]);
    // A stored (completed) pack: the edit as a delta on the old file, and the old file whole.
    await writePack(gitDir, [
      { oid: blobOid(edited), bytes: refDelta(blobOid(old), appending(old, suffix())) },
      { oid: blobOid(old), bytes: wholeBlob(old) },
    ]);
    // Another one with the old file as a delta on the edit: following it would loop.
    await writePack(gitDir, [
      { oid: blobOid(old), bytes: refDelta(blobOid(edited), truncating(edited, old.length)) },
      { oid: blobOid(edited), bytes: wholeBlob(edited) },
    ]);
    for (const content of [old, edited]) {
      const read = await reader.read(blobOid(content));
      expect(Buffer.from(read?.content ?? []).equals(content)).toBe(true);
    }
  });

  it('reports a REF_DELTA whose base is nowhere in the store as corrupt', async () => {
    const { gitDir, reader } = await emptyRepo();
    const oid = randomBytes(20).toString('hex');
    const delta = appending(Buffer.from('x'), Buffer.from('y'));
    await writePack(gitDir, [{ oid, bytes: refDelta(randomBytes(20).toString('hex'), delta) }]);
    await expect(reader.read(oid)).rejects.toThrow(/no base in the store/);
  });
});
