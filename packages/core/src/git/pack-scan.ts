/**
 * The walk over a pack as it arrives (git's `index-pack`, first pass): each entry's header, its
 * zlib stream inflated to find where the next entry starts, a whole object hashed as it inflates
 * (a large blob is never held), and the CRC-32 of the entry's bytes.
 */
import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { describeCause } from '../errors';
import {
  corruption,
  FIRST_ENTRY,
  inflateEntryStream,
  readEntryHeader,
  type EntryHeader,
  type PackBytes,
} from './pack-entry';

const PACK_MAGIC = 'PACK';
/** Objects up to this size are inflated in one synchronous call, larger ones as a stream. */
const SMALL_OBJECT = 64 * 1024;
const DEFLATE_SLACK = 1024;
const CHUNK = 256 * 1024;

/** One entry as the walk over the pack found it. */
export interface ScannedEntry {
  readonly offset: number;
  readonly header: EntryHeader;
  readonly crc: number;
  /** Its name, once known: at once for a whole object, after resolution for a delta. */
  oid?: Buffer;
}

export const throwIfAborted = (signal: AbortSignal) => {
  if (signal.aborted) throw corruption(`stopped: ${describeCause(signal.reason)}`, signal.reason);
};

/**
 * Inflates the zlib stream at `dataAt`, handing what it inflates to `sink`, and says where the
 * stream ended: the next entry starts there. Anything else than exactly `size` bytes is
 * corruption.
 */
async function inflateMeasured(
  pack: PackBytes,
  dataAt: number,
  size: number,
  first: Buffer,
  sink: (chunk: Buffer) => void,
): Promise<number> {
  if (size <= SMALL_OBJECT) {
    const wanted = size + DEFLATE_SLACK;
    const input = first.length >= wanted ? first : await pack.read(dataAt, wanted);
    try {
      const { buffer, engine } = inflateSync(input, {
        info: true,
        maxOutputLength: Math.max(size, 1),
      }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      if (buffer.length !== size) {
        throw corruption(`entry data at ${dataAt} inflates to ${buffer.length} bytes, not ${size}`);
      }
      sink(buffer);
      return dataAt + engine.bytesWritten;
    } catch (cause) {
      const truncated = (cause as { code?: unknown } | null)?.code === 'Z_BUF_ERROR';
      // An encoder that pads more than deflate needs: read on as a stream.
      if (!(truncated && input.length >= wanted)) {
        throw corruption(
          `entry data at ${dataAt} does not inflate: ${describeCause(cause)}`,
          cause,
        );
      }
    }
  }
  return inflateEntryStream(pack, dataAt, size, first, sink);
}

/** The CRC-32 of the pack's bytes from `start` to `end` (what a version-2 index records). */
async function crcOf(pack: PackBytes, start: number, end: number): Promise<number> {
  let crc = 0;
  for (let at = start; at < end;) {
    const bytes = await pack.read(at, Math.min(CHUNK, end - at));
    if (bytes.length === 0) throw corruption(`the pack ends inside the entry at ${start}`);
    crc = crc32(bytes, crc);
    at += bytes.length;
  }
  return crc;
}

/**
 * Walks every entry of the pack as it arrives: where each starts and ends, its CRC, and for a
 * whole object its name (hashed as it inflates). Gives where the entries end.
 */
export async function scanPack(
  file: PackBytes,
  signal: AbortSignal,
  entries: ScannedEntry[],
): Promise<number> {
  const header = await file.read(0, FIRST_ENTRY);
  const version = header.length === FIRST_ENTRY ? header.readUInt32BE(4) : 0;
  if (header.toString('latin1', 0, 4) !== PACK_MAGIC || (version !== 2 && version !== 3)) {
    throw corruption('the fetched pack is not a version 2 or 3 packfile');
  }
  const count = header.readUInt32BE(8);
  let offset = FIRST_ENTRY;
  for (let i = 0; i < count; i++) {
    throwIfAborted(signal);
    const { header: entry, first } = await readEntryHeader(file, offset);
    let next: number;
    let oid: Buffer | undefined;
    if (entry.kind === 'whole') {
      const hash = createHash('sha1').update(`${entry.type} ${entry.size}\0`);
      next = await inflateMeasured(file, entry.dataAt, entry.size, first, (c) => hash.update(c));
      oid = hash.digest();
    } else {
      next = await inflateMeasured(file, entry.dataAt, entry.size, first, () => undefined);
    }
    const crc = await crcOf(file, offset, next);
    entries.push(oid ? { offset, header: entry, crc, oid } : { offset, header: entry, crc });
    offset = next;
  }
  return offset;
}
