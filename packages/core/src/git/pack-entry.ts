/**
 * One entry of a packfile: its header (type, size, and for a delta where its base is), then its
 * zlib-compressed data, inflated from the file a chunk at a time so that reading one object
 * never means holding the pack.
 */
import { constants as bufferConstants } from 'node:buffer';
import { createInflate, inflateSync } from 'node:zlib';
import { describeCause } from '../errors';
import type { GitObjectType } from './objects';

/** Reads a pack's bytes; a read reaching past the end comes back short. */
export interface PackBytes {
  read(position: number, length: number): Promise<Buffer>;
  /** Where the entries stop: the pack's size less its 20-byte checksum. */
  readonly end: number;
}

/** An entry's header, with `dataAt` where its compressed data starts. */
export type EntryHeader =
  | {
      readonly kind: 'whole';
      readonly type: GitObjectType;
      readonly size: number;
      readonly dataAt: number;
    }
  | {
      readonly kind: 'ofs-delta';
      readonly size: number;
      readonly dataAt: number;
      readonly baseAt: number;
    }
  | {
      readonly kind: 'ref-delta';
      readonly size: number;
      readonly dataAt: number;
      readonly baseOid: string;
    };

const TYPES: Readonly<Record<number, GitObjectType>> = {
  1: 'commit',
  2: 'tree',
  3: 'blob',
  4: 'tag',
};
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** The pack's own 12-byte header comes first: no entry starts before it. */
export const FIRST_ENTRY = 12;
/** Enough for any header: a 64-bit size, a 64-bit base offset or a 20-byte base name. */
const HEADER_MAX = 32;
/** Read with the header, so a small object costs one read. */
const FIRST_READ = 8 * 1024;
/** Objects up to this size are inflated in one synchronous call, larger ones as a stream. */
const SMALL_OBJECT = 64 * 1024;
/** What deflate may add to incompressible data of a small object, with room to spare. */
const DEFLATE_SLACK = 1024;
const CHUNK = 256 * 1024;

/** What is wrong with a corrupt cache, as far as the reader can tell. */
export type CorruptionProblem = 'delta-cycle' | 'missing-base' | 'checksum' | 'malformed';

/** A corrupt pack: the object store reports it as a corrupt cache, never as a crash. */
export function corruption(
  message: string,
  cause?: unknown,
  problem: CorruptionProblem = 'malformed',
): Error & { readonly corruption: CorruptionProblem } {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  return Object.assign(error, { corruption: problem });
}

/** The problem a reader's error names, when it is a corruption. */
export function corruptionOf(cause: unknown): CorruptionProblem | undefined {
  const problem = (cause as { corruption?: unknown } | null)?.corruption;
  return typeof problem === 'string' ? (problem as CorruptionProblem) : undefined;
}

/** The header of the entry starting at `offset`, read from `bytes` (which start there too). */
export function parseEntryHeader(bytes: Uint8Array, offset: number): EntryHeader | string {
  let at = 0;
  const next = (): number | undefined => bytes[at++];
  let byte = next();
  if (byte === undefined) return `entry at ${offset} is past the end of the pack`;
  const code = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let factor = 16;
  while (byte & 0x80) {
    byte = next();
    if (byte === undefined || factor > 2 ** 53) return `entry at ${offset} has a malformed size`;
    size += (byte & 0x7f) * factor;
    factor *= 128;
  }
  if (size > bufferConstants.MAX_LENGTH) return `entry at ${offset} claims ${size} bytes`;
  const type = TYPES[code];
  if (type) return { kind: 'whole', type, size, dataAt: offset + at };
  if (code === OFS_DELTA) {
    // Big-endian base-128 with an implicit +1 per continuation byte (git's `offset_to_base`).
    byte = next();
    if (byte === undefined) return `entry at ${offset} has a truncated base offset`;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = next();
      if (byte === undefined || distance > 2 ** 45) {
        return `entry at ${offset} has a malformed base offset`;
      }
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    const baseAt = offset - distance;
    if (distance === 0 || baseAt < FIRST_ENTRY) {
      return `entry at ${offset} names a base at ${baseAt}, outside the pack`;
    }
    return { kind: 'ofs-delta', size, dataAt: offset + at, baseAt };
  }
  if (code === REF_DELTA) {
    if (bytes.length < at + 20) return `entry at ${offset} has a truncated base name`;
    const baseOid = Buffer.from(bytes.subarray(at, at + 20)).toString('hex');
    return { kind: 'ref-delta', size, dataAt: offset + at + 20, baseOid };
  }
  return `entry at ${offset} has the unknown type ${code}`;
}

/**
 * Reads the header of the entry at `offset`, with whatever data came in the same read (handed
 * to {@link inflateEntry} as its first chunk).
 */
export async function readEntryHeader(
  pack: PackBytes,
  offset: number,
): Promise<{ header: EntryHeader; first: Buffer }> {
  if (offset < FIRST_ENTRY || offset >= pack.end) {
    throw corruption(`entry offset ${offset} is outside the pack's ${pack.end} bytes`);
  }
  const bytes = await pack.read(offset, Math.min(FIRST_READ, pack.end - offset));
  const header = parseEntryHeader(bytes.subarray(0, HEADER_MAX), offset);
  if (typeof header === 'string') throw corruption(header);
  return { header, first: bytes.subarray(header.dataAt - offset) };
}

/** zlib's "unexpected end of file": the input stopped before the stream did. */
const isTruncatedInput = (cause: unknown) =>
  (cause as { code?: unknown } | null)?.code === 'Z_BUF_ERROR';

/**
 * The `size` bytes that the zlib stream at `dataAt` inflates to. A small object is inflated in one
 * call from one read; a large one is streamed, a chunk read at a time until the inflater ends, so
 * only the object itself is ever held. Anything else than exactly `size` bytes is corruption.
 */
export async function inflateEntry(
  pack: PackBytes,
  dataAt: number,
  size: number,
  first: Buffer = Buffer.alloc(0),
): Promise<Buffer> {
  const available = pack.end - dataAt;
  if (size <= SMALL_OBJECT) {
    const wanted = Math.min(available, size + DEFLATE_SLACK);
    const input = first.length >= wanted ? first : await pack.read(dataAt, wanted);
    try {
      // Trailing bytes (the next entry) are ignored once the stream ends.
      const out = inflateSync(input, { maxOutputLength: Math.max(size, 1) });
      if (out.length !== size) {
        throw corruption(`entry data at ${dataAt} inflates to ${out.length} bytes, not ${size}`);
      }
      return out;
    } catch (cause) {
      // An encoder that pads more than deflate needs: read on as a stream.
      if (!(isTruncatedInput(cause) && input.length < available)) {
        throw corruption(
          `entry data at ${dataAt} does not inflate: ${describeCause(cause)}`,
          cause,
        );
      }
    }
  }
  return inflateStreaming(pack, dataAt, size, first);
}

async function inflateStreaming(
  pack: PackBytes,
  dataAt: number,
  size: number,
  first: Buffer,
): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let filled = 0;
  await inflateEntryStream(pack, dataAt, size, first, (chunk) => {
    chunk.copy(out, filled);
    filled += chunk.length;
  });
  return out;
}

/**
 * Inflates the zlib stream at `dataAt` chunk by chunk, reading the pack as it goes (`first`: the
 * bytes already read from `dataAt`), handing each inflated chunk to `sink`; answers where the
 * stream ended (the next entry starts there). Anything but exactly `size` bytes is corruption.
 */
export async function inflateEntryStream(
  pack: PackBytes,
  dataAt: number,
  size: number,
  first: Buffer,
  sink: (chunk: Buffer) => void,
): Promise<number> {
  let filled = 0;
  const inflater = createInflate({ chunkSize: 64 * 1024 });
  const settled = new Promise<Error | undefined>((resolve) => {
    inflater.on('end', () => resolve(undefined));
    inflater.on('error', resolve);
  });
  let done = false;
  void settled.then(() => (done = true));
  inflater.on('data', (chunk: Buffer) => {
    if (filled + chunk.length > size) {
      inflater.destroy(corruption(`entry data at ${dataAt} inflates past ${size} bytes`));
      return;
    }
    filled += chunk.length;
    sink(chunk);
  });
  try {
    let position = dataAt;
    let chunk = first;
    while (!done) {
      if (chunk.length === 0) {
        chunk = await pack.read(position, Math.min(CHUNK, pack.end - position));
        // Out of pack: let zlib say whether the stream was complete.
        if (chunk.length === 0) {
          inflater.end();
          break;
        }
      }
      position += chunk.length;
      const piece = chunk;
      chunk = Buffer.alloc(0);
      // After an error zlib may never call back: whichever comes first.
      await Promise.race([new Promise((resolve) => inflater.write(piece, resolve)), settled]);
    }
    const failure = await settled;
    if (failure) {
      throw corruption(`entry data at ${dataAt} does not inflate: ${failure.message}`, failure);
    }
    if (filled !== size) {
      throw corruption(`entry data at ${dataAt} inflates to ${filled} bytes, not ${size}`);
    }
    return dataAt + inflater.bytesWritten;
  } finally {
    inflater.destroy();
  }
}
