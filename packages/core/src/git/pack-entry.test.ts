import { randomBytes } from 'node:crypto';
import { constants, createDeflate, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateEntry, parseEntryHeader, type PackBytes } from './pack-entry';

/** A pack held in memory, counting the bytes read from it. */
function inMemory(bytes: Buffer): PackBytes & { bytesRead: number } {
  const pack = {
    bytesRead: 0,
    end: bytes.length,
    read: (position: number, length: number) => {
      const out = Buffer.from(bytes.subarray(position, position + length));
      pack.bytesRead += out.length;
      return Promise.resolve(out);
    },
  };
  return pack;
}

/** Deflates `content` with a full flush every `every` bytes: valid, and far larger than needed. */
async function padded(content: Buffer, every: number): Promise<Buffer> {
  const deflate = createDeflate();
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  for (let at = 0; at < content.length; at += every) {
    deflate.write(content.subarray(at, at + every));
    await new Promise<void>((resolve) => deflate.flush(constants.Z_FULL_FLUSH, () => resolve()));
  }
  const ended = new Promise((resolve) => deflate.on('end', resolve));
  deflate.end();
  await ended;
  return Buffer.concat(out);
}

const DATA_AT = 12;
/** Twelve bytes standing for the pack header, the data, and a trailing 20-byte "next entry". */
const packOf = (data: Buffer) =>
  inMemory(Buffer.concat([Buffer.alloc(DATA_AT), data, randomBytes(20)]));

describe('parseEntryHeader', () => {
  it('reads type and size, with the size continued over several bytes', () => {
    // blob (3), size 0x5 + 0x7f * 16 + 0x01 * 16 * 128
    expect(parseEntryHeader(Buffer.from([0xb5, 0xff, 0x01]), 100)).toEqual({
      kind: 'whole',
      type: 'blob',
      size: 5 + 0x7f * 16 + 16 * 128,
      dataAt: 103,
    });
  });

  it("reads an OFS_DELTA's distance with git's +1 per continuation byte", () => {
    // distance: ((0x01 + 1) << 7) + 0x05 = 261
    expect(parseEntryHeader(Buffer.from([0x6a, 0x81, 0x05]), 1_000)).toEqual({
      kind: 'ofs-delta',
      size: 10,
      dataAt: 1_003,
      baseAt: 1_000 - 261,
    });
  });

  it('reads a REF_DELTA base name', () => {
    const base = randomBytes(20);
    expect(parseEntryHeader(Buffer.concat([Buffer.from([0x73]), base]), 50)).toEqual({
      kind: 'ref-delta',
      size: 3,
      dataAt: 71,
      baseOid: base.toString('hex'),
    });
  });

  it.each([
    ['an unknown type', [0x50], /unknown type 5/],
    ['a size that never ends', [0xb5, 0xff, 0xff], /malformed size/],
    ['a base before the first entry', [0x6a, 0x7f], /outside the pack/],
    ['a truncated base name', [0x73, 1, 2, 3], /truncated base name/],
    ['nothing at all', [], /past the end/],
  ])('describes %s', (_what, bytes, message) => {
    expect(parseEntryHeader(Buffer.from(bytes), 100)).toMatch(message);
  });
});

describe('inflateEntry', () => {
  it('inflates a small object from the bytes read with its header, and a large one as a stream', async () => {
    const small = randomBytes(3_000);
    const pack = packOf(deflateSync(small));
    const first = await pack.read(DATA_AT, 8_192);
    expect((await inflateEntry(pack, DATA_AT, small.length, first)).equals(small)).toBe(true);
    expect(pack.bytesRead).toBe(first.length);

    const large = randomBytes(3 * 1024 * 1024);
    const packed = deflateSync(large);
    const big = packOf(packed);
    expect((await inflateEntry(big, DATA_AT, large.length)).equals(large)).toBe(true);
    // Chunked reads stop at the end of the stream, not at the end of the pack.
    expect(big.bytesRead).toBeLessThan(packed.length + 256 * 1024);
  });

  it('streams a small object whose encoder padded it past what one read covers', async () => {
    const content = randomBytes(2_000);
    const data = await padded(content, 8);
    expect(data.length).toBeGreaterThan(content.length + 1_024);
    expect((await inflateEntry(packOf(data), DATA_AT, content.length)).equals(content)).toBe(true);
  });

  it.each([
    ['small', 1_000],
    ['large', 200_000],
  ])(
    'refuses a %s object that inflates to more or fewer bytes than its header says',
    async (_what, n) => {
      const pack = packOf(deflateSync(randomBytes(n)));
      await expect(inflateEntry(pack, DATA_AT, n - 1)).rejects.toThrow(/inflates|does not inflate/);
      await expect(inflateEntry(pack, DATA_AT, n + 1)).rejects.toThrow(/inflates to/);
    },
  );

  it.each([
    ['small', 1_000],
    ['large', 200_000],
  ])('refuses a %s object cut off by the end of the pack, or damaged', async (_what, n) => {
    const data = deflateSync(randomBytes(n));
    const cut = inMemory(
      Buffer.concat([Buffer.alloc(DATA_AT), data.subarray(0, data.length - 10)]),
    );
    await expect(inflateEntry(cut, DATA_AT, n)).rejects.toThrow(/does not inflate/);
    const damaged = Buffer.from(data);
    const middle = damaged.length >> 1;
    damaged[middle] = (damaged[middle] as number) ^ 0xff;
    await expect(inflateEntry(packOf(damaged), DATA_AT, n)).rejects.toThrow(/does not inflate/);
  });
});
