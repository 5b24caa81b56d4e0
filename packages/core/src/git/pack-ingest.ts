/**
 * A fetched pack, taken in from the wire to the cache without ever holding it: its bytes go to
 * a temporary file in `objects/pack` as they arrive, and its index is built from that file while
 * it grows (git's `index-pack`, in berth's code). Every object is hashed to get its name, so
 * every object is verified; the pack's trailing SHA-1 is checked against the bytes received.
 *
 * A thin pack (some REF_DELTAs name bases only the cache holds) is completed as git's
 * `index-pack --fix-thin` does: each outside base is read from the cache, checked, and appended
 * as a whole object; the header's count and the trailing checksum are rewritten. A stored pack
 * then never needs another one (publish A, B, then the revert of B would otherwise leave two
 * packs whose deltas name each other's objects, and every read of that file would loop).
 *
 * The pack is renamed into place first, its index last, so no reader ever sees a pack without
 * its index or a half-written one; a failure removes the temporary files and leaves the cache
 * as it was.
 *
 * Memory: the file is the buffer between the network and the indexer. The indexer holds one
 * object at a time (a large blob is hashed as it inflates, without being held), and resolving
 * deltas holds a delta, its base, and a bounded cache of recent bases.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInflate, crc32, inflateSync } from 'node:zlib';
import { describeCause } from '../errors';
import type { RawObject } from './objects';
import { DeltaBaseCache } from './pack-base-cache';
import { applyDelta } from './pack-delta';
import {
  corruption,
  FIRST_ENTRY,
  inflateEntry,
  parseEntryHeader,
  readEntryHeader,
  type EntryHeader,
  type PackBytes,
} from './pack-entry';
import { objectName, packIndexV2, wholeEntry, type IndexedEntry } from './pack-write';

const CHECKSUM_BYTES = 20;
const PACK_MAGIC = 'PACK';
/** How much the indexer reads from the file at once. */
const WINDOW = 1024 * 1024;
/** Objects up to this size are inflated in one synchronous call, larger ones as a stream. */
const SMALL_OBJECT = 64 * 1024;
const DEFLATE_SLACK = 1024;
const CHUNK = 256 * 1024;
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

/** Where the pack goes, where outside bases come from, and when to stop. */
export interface IngestOptions {
  /** The cache's `objects/pack` directory. */
  readonly packDir: string;
  /** An object of the cache (a thin pack's outside base), or undefined when it has none. */
  readonly read: (oid: string) => Promise<RawObject | undefined>;
  readonly signal: AbortSignal;
}

/** One entry as the walk over the pack found it. */
interface Entry {
  readonly offset: number;
  readonly header: EntryHeader;
  crc: number;
  /** Its name, once known: at once for a whole object, after resolution for a delta. */
  oid?: Buffer;
}

const throwIfAborted = (signal: AbortSignal) => {
  if (signal.aborted) throw corruption(`stopped: ${describeCause(signal.reason)}`, signal.reason);
};

/**
 * The pack file while it is being received: appended to by the receiver, read by the indexer,
 * whose reads wait until the bytes they ask for have been written (or the pack ended).
 */
class GrowingFile implements PackBytes {
  /** Bytes written so far. */
  written = 0;
  private ended = false;
  private failed: unknown;
  private waiters: Array<() => void> = [];
  private window = Buffer.alloc(0);
  private windowAt = 0;
  /** The stream's SHA-1, lagging 20 bytes behind: the last 20 are the checksum, not hashed. */
  private readonly hash: Hash = createHash('sha1');
  private tail = Buffer.alloc(0);

  constructor(readonly handle: FileHandle) {}

  /** Until the pack has ended its size is not known: reads are bounded by what arrives. */
  get end(): number {
    return this.ended
      ? Math.max(FIRST_ENTRY, this.written - CHECKSUM_BYTES)
      : Number.MAX_SAFE_INTEGER;
  }

  async append(bytes: Buffer): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const { bytesWritten } = await this.handle.write(
        bytes,
        at,
        bytes.length - at,
        this.written + at,
      );
      at += bytesWritten;
    }
    const both = this.tail.length === 0 ? bytes : Buffer.concat([this.tail, bytes]);
    const hashed = Math.max(0, both.length - CHECKSUM_BYTES);
    this.hash.update(both.subarray(0, hashed));
    this.tail = Buffer.from(both.subarray(hashed));
    this.written += bytes.length;
    this.wake();
  }

  /** No more bytes: whether the last 20 are the SHA-1 of all before them. */
  finish(): boolean {
    this.ended = true;
    this.wake();
    return this.tail.length === CHECKSUM_BYTES && this.hash.digest().equals(this.tail);
  }

  get checksum(): Buffer {
    return this.tail;
  }

  fail(cause: unknown): void {
    this.failed ??= cause;
    this.ended = true;
    this.wake();
  }

  async read(position: number, length: number): Promise<Buffer> {
    const inWindow = position - this.windowAt;
    if (inWindow >= 0 && inWindow + length <= this.window.length) {
      return this.window.subarray(inWindow, inWindow + length);
    }
    while (!this.ended && this.written < position + length) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failed !== undefined) throw this.failed;
    const wanted = Math.min(Math.max(length, WINDOW), this.written - position);
    const buffer = Buffer.allocUnsafe(Math.max(0, wanted));
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(
        buffer,
        filled,
        wanted - filled,
        position + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.window = buffer.subarray(0, filled);
    this.windowAt = position;
    return this.window.subarray(0, Math.min(length, filled));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

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
        if (chunk.length === 0) {
          inflater.end();
          break;
        }
      }
      position += chunk.length;
      const piece = chunk;
      chunk = Buffer.alloc(0);
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
async function walk(file: GrowingFile, signal: AbortSignal, entries: Entry[]): Promise<number> {
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

/** Reads of the whole file once it is complete (and as outside bases are appended to it). */
function fileBytes(handle: FileHandle, end: () => number): PackBytes {
  return {
    get end() {
      return end();
    },
    read: async (position, length) => {
      const wanted = Math.max(0, Math.min(length, end() - position));
      const buffer = Buffer.allocUnsafe(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
  };
}

/** One pack being received into `packDir`. */
export class PackIngest {
  private readonly entries: Entry[] = [];
  private readonly walked: Promise<number>;
  private settled = false;

  private constructor(
    private readonly file: GrowingFile,
    private readonly path: string,
    private readonly options: IngestOptions,
  ) {
    this.walked = walk(file, options.signal, this.entries);
    // Reported by the next append or by finish(); it must not go unhandled until then.
    this.walked.catch((cause: unknown) => (this.walkFailed ??= { cause }));
  }

  private walkFailed: { readonly cause: unknown } | undefined;

  /** Starts a temporary pack file in `packDir`. */
  static async start(options: IngestOptions): Promise<PackIngest> {
    const path = join(
      options.packDir,
      `.receive-${process.pid}-${randomBytes(4).toString('hex')}.pack.tmp`,
    );
    const handle = await open(path, 'wx+');
    return new PackIngest(new GrowingFile(handle), path, options);
  }

  /** Appends received pack bytes; rejects as soon as the pack is known to be corrupt. */
  append(bytes: Buffer): Promise<void> {
    if (this.walkFailed) return Promise.reject(this.walkFailed.cause);
    return this.file.append(bytes);
  }

  /**
   * The pack has ended: checks it, resolves its deltas, completes it if thin, and stores it with
   * its index. Gives the stored pack's name, or undefined when it held no object.
   */
  async finish(): Promise<string | undefined> {
    try {
      const checksumOk = this.file.finish();
      const entriesEnd = await this.walked;
      if (this.file.written !== entriesEnd + CHECKSUM_BYTES) {
        throw corruption(
          `the fetched pack's entries end at ${entriesEnd}, and ${this.file.written} bytes came`,
        );
      }
      if (!checksumOk) {
        throw corruption('the fetched pack does not match its checksum', undefined, 'checksum');
      }
      if (this.entries.length === 0) {
        await this.discard();
        return undefined;
      }
      const stored = await this.resolveAndStore(entriesEnd);
      this.settled = true;
      return stored;
    } catch (cause) {
      await this.discard();
      throw cause;
    }
  }

  /** Gives up on the pack: the temporary file goes. */
  async abort(cause: unknown): Promise<void> {
    this.file.fail(cause);
    await this.walked.catch(() => undefined);
    await this.discard();
  }

  private async discard(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.file.handle.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }

  private async resolveAndStore(entriesEnd: number): Promise<string> {
    const { signal } = this.options;
    const handle = this.file.handle;
    let end = entriesEnd;
    const pack = fileBytes(handle, () => end);
    const byOffset = new Map<number, Entry>();
    const byName = new Map<string, Entry>();
    for (const entry of this.entries) {
      byOffset.set(entry.offset, entry);
      if (entry.oid) byName.set(entry.oid.toString('hex'), entry);
    }
    const bases = new DeltaBaseCache(BASE_CACHE_BYTES);
    /** The object at an entry whose base chain is resolved; kept when read as a base. */
    const objectAt = async (entry: Entry, asBase: boolean): Promise<RawObject> => {
      const key = String(entry.offset);
      const cached = bases.get(key);
      if (cached) return cached;
      const { header } = entry;
      let object: RawObject;
      if (header.kind === 'whole') {
        object = {
          type: header.type,
          content: await inflateEntry(pack, header.dataAt, header.size),
        };
      } else {
        const base = baseOf(entry);
        if (!base?.oid) throw corruption(`the delta at ${entry.offset} has no resolved base`);
        const baseObject = await objectAt(base, true);
        const delta = await inflateEntry(pack, header.dataAt, header.size);
        const content = applyDelta(baseObject.content, delta);
        if (typeof content === 'string') {
          throw corruption(`the fetched pack's delta at ${entry.offset}: ${content}`);
        }
        object = { type: baseObject.type, content };
      }
      if (asBase) bases.set(key, object);
      return object;
    };
    const baseOf = (entry: Entry): Entry | undefined => {
      const { header } = entry;
      if (header.kind === 'ofs-delta') {
        const base = byOffset.get(header.baseAt);
        if (!base) {
          throw corruption(
            `the fetched pack's delta at ${entry.offset} names no entry as its base`,
          );
        }
        return base;
      }
      return header.kind === 'ref-delta' ? byName.get(header.baseOid) : undefined;
    };

    // Deltas in pack order, round after round: an OFS_DELTA's base comes before it, so one round
    // resolves every chain that reaches a known object; a REF_DELTA may wait for its base.
    let pending = this.entries.filter((e) => !e.oid);
    const outside: RawObject[] = [];
    while (pending.length > 0) {
      const waiting: Entry[] = [];
      for (const entry of pending) {
        throwIfAborted(signal);
        if (!baseOf(entry)?.oid) {
          waiting.push(entry);
          continue;
        }
        const object = await objectAt(entry, false);
        entry.oid = objectName(object.type, object.content);
        byName.set(entry.oid.toString('hex'), entry);
      }
      if (waiting.length === pending.length) {
        // Nothing moved: what is still missing is outside the pack (a thin pack's bases).
        const missing = new Set<string>();
        for (const entry of waiting) {
          const { header } = entry;
          if (header.kind === 'ref-delta' && !byName.has(header.baseOid)) {
            missing.add(header.baseOid);
          }
        }
        if (missing.size === 0) {
          throw corruption(`the fetched pack's deltas at ${waiting[0]?.offset} have no base`);
        }
        for (const oid of missing) {
          const base = await this.options.read(oid);
          if (!base) {
            throw corruption(
              `the fetched pack needs ${oid} as a base, and the cache does not have it`,
              undefined,
              'missing-base',
            );
          }
          const name = objectName(base.type, base.content);
          if (name.toString('hex') !== oid) {
            throw corruption(`the base ${oid} read back as ${name.toString('hex')}`);
          }
          const bytes = wholeEntry(base.type, base.content);
          const header = parseEntryHeader(bytes, end);
          if (typeof header === 'string') throw corruption(header);
          await writeAll(handle, bytes, end);
          const entry: Entry = { offset: end, header, crc: crc32(bytes), oid: name };
          end += bytes.length;
          outside.push(base);
          byOffset.set(entry.offset, entry);
          byName.set(oid, entry);
          this.entries.push(entry);
          bases.set(String(entry.offset), base);
        }
      }
      pending = waiting;
    }

    let checksum = this.file.checksum;
    if (outside.length > 0) {
      // The header counts the appended bases, and the checksum covers them.
      const count = Buffer.alloc(4);
      count.writeUInt32BE(this.entries.length);
      await writeAll(handle, count, 8);
      const hash = createHash('sha1');
      for (let at = 0; at < end;) {
        throwIfAborted(signal);
        const bytes = await pack.read(at, Math.min(WINDOW, end - at));
        if (bytes.length === 0) throw corruption(`the completed pack reads short at ${at}`);
        hash.update(bytes);
        at += bytes.length;
      }
      checksum = hash.digest();
      await writeAll(handle, checksum, end);
      await handle.truncate(end + CHECKSUM_BYTES);
    }
    throwIfAborted(signal);
    const indexed: IndexedEntry[] = this.entries.map((e) => ({
      oid: e.oid as Buffer,
      offset: e.offset,
      crc: e.crc,
    }));
    const index = packIndexV2(indexed, checksum);
    await handle.close();
    const name = `pack-${checksum.toString('hex')}`;
    const indexTemporary = `${this.path}.idx`;
    try {
      await writeIndex(indexTemporary, index);
      await rename(this.path, join(this.options.packDir, `${name}.pack`));
      await rename(indexTemporary, join(this.options.packDir, `${name}.idx`));
    } catch (cause) {
      await unlink(indexTemporary).catch(() => undefined);
      throw cause;
    }
    return name;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}

async function writeIndex(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await writeAll(handle, bytes, 0);
  } finally {
    await handle.close();
  }
}
