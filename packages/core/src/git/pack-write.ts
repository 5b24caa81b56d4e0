/**
 * Writing packs and their indexes: berth writes a pack when it completes a thin pack from a fetch
 * (see `pack-ingest.ts`) and when it compacts the cache (see `cache-compact.ts`). Only whole
 * entries are written, so a pack berth writes never depends on any other.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { GitObjectType } from './objects';

const TYPE_CODES: Readonly<Record<GitObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const V2_MAGIC = 0xff744f63;
/** Offsets from here on go into the table of 8-byte offsets. */
const LARGE_OFFSET = 0x80000000;

/** One entry of a pack as its index lists it. */
export interface IndexedEntry {
  readonly oid: Buffer;
  readonly offset: number;
  readonly crc: number;
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
};

/** The type-and-size header that starts every pack entry (git's variable-length encoding). */
export function entryHeader(typeCode: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (typeCode << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** A whole (non-delta) pack entry holding `content`. */
export function wholeEntry(type: GitObjectType, content: Uint8Array): Buffer {
  return Buffer.concat([entryHeader(TYPE_CODES[type], content.length), deflateSync(content)]);
}

/** The name git gives an object. */
export function objectName(type: GitObjectType, content: Uint8Array): Buffer {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest();
}

/** The 12-byte pack header for `count` entries (version 2). */
export function packHeader(count: number): Buffer {
  return Buffer.concat([Buffer.from('PACK', 'latin1'), u32(2), u32(count)]);
}

/** A version-2 index of the pack whose trailing checksum is `packChecksum`. */
export function packIndexV2(entries: readonly IndexedEntry[], packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => a.oid.compare(b.oid));
  const fanout = Buffer.alloc(256 * 4);
  let at = 0;
  for (let byte = 0; byte < 256; byte++) {
    while (at < sorted.length && (sorted[at]?.oid[0] as number) <= byte) at++;
    fanout.writeUInt32BE(at, byte * 4);
  }
  const large: Buffer[] = [];
  const offsets = sorted.map(({ offset }) => {
    if (offset < LARGE_OFFSET) return u32(offset);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(offset));
    large.push(big);
    return u32(LARGE_OFFSET + large.length - 1);
  });
  const body = Buffer.concat([
    u32(V2_MAGIC),
    u32(2),
    fanout,
    ...sorted.map((e) => e.oid),
    ...sorted.map((e) => u32(e.crc)),
    ...offsets,
    ...large,
    packChecksum,
  ]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** A pack being written in memory: entries in order, then the checksum and the index. */
export class PackBuilder {
  private readonly parts: Buffer[] = [];
  private readonly entries: IndexedEntry[] = [];
  private length = 12;

  /** Appends one raw entry (header and compressed data) for the object `oid`. */
  add(oid: Buffer, entry: Buffer): void {
    this.entries.push({ oid, offset: this.length, crc: crc32(entry) });
    this.parts.push(entry);
    this.length += entry.length;
  }

  /** Appends entries already laid out from `offset` in another pack with the same header. */
  addRaw(bytes: Buffer, listed: readonly IndexedEntry[]): void {
    for (const entry of listed) this.entries.push(entry);
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  get count(): number {
    return this.entries.length;
  }

  /** The pack's bytes, its index, and its checksum (which names both files). */
  finish(): { pack: Buffer; index: Buffer; checksum: Buffer } {
    const body = Buffer.concat([packHeader(this.entries.length), ...this.parts]);
    const checksum = createHash('sha1').update(body).digest();
    return {
      pack: Buffer.concat([body, checksum]),
      index: packIndexV2(this.entries, checksum),
      checksum,
    };
  }
}
