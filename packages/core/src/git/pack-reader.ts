/**
 * Reads git objects from a cache directory without loading packs into memory: a packed object
 * through its pack's index and a file handle (a delta resolved against its base, an OFS_DELTA's
 * in the same pack, a REF_DELTA's by name anywhere in the store), a loose one from
 * `objects/xx/…`. Every object is checked against its name before it is handed out.
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describeCause } from '../errors';
import type { GitObjectType, RawObject } from './objects';
import { DeltaBaseCache } from './pack-base-cache';
import { applyDelta } from './pack-delta';
import { corruption, inflateEntry, readEntryHeader } from './pack-entry';
import type { PackSet, PackedLocation } from './pack-set';
import { isNotFound } from '../util/fs-errors';

export interface ObjectReaderOptions {
  /**
   * Deltas one read may apply before the chain counts as corrupt (a cycle of REF_DELTAs would
   * otherwise never end). Default 4 095: git's own ceiling for `--depth`, so no pack git wrote
   * is refused.
   */
  readonly maxDeltaChain?: number;
  /** Bytes of recently used delta bases kept for the next read. Default 32 MiB. */
  readonly baseCacheBytes?: number;
}

const DEFAULT_MAX_DELTA_CHAIN = 4_095;
const DEFAULT_BASE_CACHE_BYTES = 32 * 1024 * 1024;
const OID = /^[0-9a-f]{40}$/;
const LOOSE_HEADER = /^(blob|tree|commit|tag) (0|[1-9][0-9]*)$/;

/** Throws unless `object` hashes to `oid` the way git names objects. */
function verify(oid: string, object: RawObject): void {
  const actual = createHash('sha1')
    .update(`${object.type} ${object.content.length}\0`)
    .update(object.content)
    .digest('hex');
  if (actual !== oid) throw corruption(`object ${oid} hashes to ${actual}`, undefined, 'checksum');
}

export class ObjectReader {
  private readonly maxDeltaChain: number;
  private readonly bases: DeltaBaseCache;

  constructor(
    private readonly gitdir: string,
    private readonly packs: PackSet,
    options: ObjectReaderOptions = {},
  ) {
    this.maxDeltaChain = options.maxDeltaChain ?? DEFAULT_MAX_DELTA_CHAIN;
    this.bases = new DeltaBaseCache(options.baseCacheBytes ?? DEFAULT_BASE_CACHE_BYTES);
  }

  /**
   * The object, verified against its name; undefined when the store does not have it. Rejects
   * when it is there but cannot be read: a corrupt pack or loose file, a missing delta base, a
   * hash that does not match, or an I/O error. The content may be shared with the base cache:
   * never modify it.
   */
  async read(oid: string): Promise<RawObject | undefined> {
    if (!OID.test(oid)) throw corruption(`"${oid}" is not a full lower-case object name`);
    const object = await this.find(oid, 0, new Set());
    if (object) verify(oid, object);
    return object;
  }

  /** Whether the store has the object, looked up as `read` would, without reading it. */
  async has(oid: string): Promise<boolean> {
    const name = Buffer.from(oid, 'hex');
    if (this.packs.locate(name)) return true;
    const loose = await access(this.loosePath(oid)).then(
      () => true,
      () => false,
    );
    if (loose) return true;
    // Not where the last look put it: a fetch may have added a pack.
    await this.packs.refresh();
    return this.packs.locate(name) !== undefined;
  }

  /** Bytes of delta bases held now. */
  get cachedBytes(): number {
    return this.bases.size;
  }

  /** `chain`: the entries this read is resolving, to tell a cycle of deltas from a long chain. */
  private async find(
    oid: string,
    depth: number,
    chain: Set<string>,
  ): Promise<RawObject | undefined> {
    const name = Buffer.from(oid, 'hex');
    const first = this.packs.locate(name);
    if (first) {
      try {
        return await this.packed(first, depth, chain);
      } catch (cause) {
        // Its pack was deleted since the last look at the directory: look again below.
        if (!isNotFound(cause)) throw cause;
      }
    } else {
      const loose = await this.loose(oid);
      if (loose) return loose;
    }
    // Not where the last look put it: a fetch may have added a pack, or replaced one.
    await this.packs.refresh();
    const again = this.packs.locate(name);
    if (again) return this.packed(again, depth, chain);
    return first ? this.loose(oid) : undefined;
  }

  /** The object at a pack offset; read as a delta's base (`depth` > 0), it is kept for the next. */
  private async packed(
    location: PackedLocation,
    depth: number,
    chain: Set<string>,
  ): Promise<RawObject> {
    const { pack, offset } = location;
    const key = `${pack.name}:${offset}`;
    const cached = this.bases.get(key);
    if (cached) return cached;
    if (chain.has(key)) {
      throw corruption(
        `${pack.path}: the deltas form a cycle at ${offset} (a delta is its own base)`,
        undefined,
        'delta-cycle',
      );
    }
    chain.add(key);
    const object = await pack.use(async (bytes): Promise<RawObject> => {
      const { header, first } = await readEntryHeader(bytes, offset);
      if (header.kind === 'whole') {
        const content = await inflateEntry(bytes, header.dataAt, header.size, first);
        return { type: header.type, content };
      }
      if (depth >= this.maxDeltaChain) {
        throw corruption(
          `${pack.path}: the delta chain at ${offset} is longer than ${this.maxDeltaChain}`,
        );
      }
      // A REF_DELTA's base is looked for in its own pack first, as git does: a pack berth
      // stored holds every base it needs (see pack-ingest.ts), so its reads never leave it.
      const local =
        header.kind === 'ofs-delta'
          ? header.baseAt
          : pack.index.offsetOf(Buffer.from(header.baseOid, 'hex'));
      const base =
        local !== undefined
          ? await this.packed({ pack, offset: local }, depth + 1, chain)
          : header.kind === 'ref-delta'
            ? await this.find(header.baseOid, depth + 1, chain)
            : undefined;
      if (!base) {
        throw corruption(
          `${pack.path}: the delta at ${offset} has no base in the store`,
          undefined,
          'missing-base',
        );
      }
      // Read after the base, so a long chain holds one delta at a time.
      const delta = await inflateEntry(bytes, header.dataAt, header.size);
      const content = applyDelta(base.content, delta);
      if (typeof content === 'string') {
        throw corruption(`${pack.path}: the delta at ${offset}: ${content}`);
      }
      return { type: base.type, content };
    });
    if (depth > 0) this.bases.set(key, object);
    return object;
  }

  private loosePath(oid: string): string {
    return join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
  }

  private async loose(oid: string): Promise<RawObject | undefined> {
    let compressed: Buffer;
    try {
      compressed = await readFile(this.loosePath(oid));
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw cause;
    }
    let raw: Buffer;
    try {
      raw = inflateSync(compressed);
    } catch (cause) {
      throw corruption(`loose object ${oid} does not inflate: ${describeCause(cause)}`, cause);
    }
    const nul = raw.indexOf(0);
    const header = LOOSE_HEADER.exec(nul < 0 ? '' : raw.toString('latin1', 0, nul));
    if (!header || Number(header[2]) !== raw.length - nul - 1) {
      throw corruption(`loose object ${oid} has a malformed header`);
    }
    return { type: header[1] as GitObjectType, content: raw.subarray(nul + 1) };
  }
}
