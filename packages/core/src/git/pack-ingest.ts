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
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { RawObject } from './objects';
import { DeltaBaseCache } from './pack-base-cache';
import { applyDelta } from './pack-delta';
import { corruption, inflateEntry, parseEntryHeader } from './pack-entry';
import { CHECKSUM_BYTES, fileBytes, GrowingFile, WINDOW, writeAll } from './pack-file-growing';
import { scanPack, throwIfAborted, type ScannedEntry } from './pack-scan';
import { objectName, packIndexV2, wholeEntry, type IndexedEntry } from './pack-write';

const BASE_CACHE_BYTES = 32 * 1024 * 1024;

const asError = (cause: unknown): Error =>
  cause instanceof Error ? cause : new Error(String(cause));

/** Where the pack goes, where outside bases come from, and when to stop. */
export interface IngestOptions {
  /** The cache's `objects/pack` directory. */
  readonly packDir: string;
  /** An object of the cache (a thin pack's outside base), or undefined when it has none. */
  readonly read: (oid: string) => Promise<RawObject | undefined>;
  readonly signal: AbortSignal;
}

type Entry = ScannedEntry;

/** One pack being received into `packDir`. */
export class PackIngest {
  private readonly entries: Entry[] = [];
  private readonly walked: Promise<number>;
  private settled = false;
  /** Set when the walk failed: the next append says so, rather than storing the rest. */
  private walkFailed: Error | undefined;

  private constructor(
    private readonly file: GrowingFile,
    private readonly path: string,
    private readonly options: IngestOptions,
  ) {
    this.walked = scanPack(file, options.signal, this.entries);
    // Reported by the next append or by finish(); it must not go unhandled until then.
    this.walked.catch((cause: unknown) => (this.walkFailed ??= asError(cause)));
  }

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
    if (this.walkFailed) return Promise.reject(this.walkFailed);
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
    this.file.fail(asError(cause));
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

async function writeIndex(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await writeAll(handle, bytes, 0);
  } finally {
    await handle.close();
  }
}
