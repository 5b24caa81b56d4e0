/**
 * Completing a thin pack before it is stored. A fetch against a shallow cache comes back thin
 * (git sends it so even when not asked): some of its REF_DELTAs name a base that only another
 * pack holds. Stored as is, two such packs can name each other's objects as bases — publish A,
 * then B (a file edited), then the revert of B: B's pack holds the new file as a delta on the old
 * one, the revert's pack the old file as a delta on the new one — and every read of that file
 * loops. git fixes thin packs on arrival (`index-pack --fix-thin`); so does berth: every base
 * from outside is appended to the pack as a whole object, and the reader looks for a REF_DELTA's
 * base in its own pack first. A stored pack then never needs another one.
 */
import { crc32 } from 'node:zlib';
import type { RawObject } from './objects';
import { corruption, FIRST_ENTRY, parseEntryHeader } from './pack-entry';
import { PackIndex } from './pack-index';
import { PackBuilder, objectName, wholeEntry, type IndexedEntry } from './pack-write';

const CHECKSUM_BYTES = 20;
/** Enough for any entry header, a REF_DELTA's base name included. */
const HEADER_MAX = 32;

/** The pack and index to store instead, or undefined when the pack is already self-contained. */
export async function completeThinPack(
  pack: Buffer,
  index: Buffer,
  read: (oid: string) => Promise<RawObject | undefined>,
): Promise<{ pack: Buffer; index: Buffer; checksum: Buffer } | undefined> {
  const parsed = PackIndex.parse(index);
  if (typeof parsed === 'string') throw corruption(`the fetched pack's index: ${parsed}`);
  const end = pack.length - CHECKSUM_BYTES;
  const listed = parsed.entries().sort((a, b) => a.offset - b.offset);
  const entries: IndexedEntry[] = [];
  const external = new Set<string>();
  listed.forEach(({ oid, offset }, i) => {
    const next = listed[i + 1]?.offset ?? end;
    if (offset < FIRST_ENTRY || next > end || next <= offset) {
      throw corruption(`the fetched pack's index names an entry at ${offset} outside it`);
    }
    const header = parseEntryHeader(pack.subarray(offset, offset + HEADER_MAX), offset);
    if (typeof header === 'string') throw corruption(`the fetched pack: ${header}`);
    if (header.kind === 'ref-delta' && !parsed.has(Buffer.from(header.baseOid, 'hex'))) {
      external.add(header.baseOid);
    }
    entries.push({ oid, offset, crc: crc32(pack.subarray(offset, next)) });
  });
  if (external.size === 0) return undefined;
  const builder = new PackBuilder();
  builder.addRaw(pack.subarray(FIRST_ENTRY, end), entries);
  for (const oid of external) {
    const base = await read(oid);
    if (!base) {
      throw corruption(`the fetched pack needs ${oid} as a base, and the cache does not have it`);
    }
    const name = objectName(base.type, base.content);
    if (name.toString('hex') !== oid)
      throw corruption(`the base ${oid} read back as ${name.toString('hex')}`);
    builder.add(name, wholeEntry(base.type, base.content));
  }
  return builder.finish();
}
