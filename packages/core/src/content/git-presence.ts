/**
 * Which objects a cache directory holds, read from the pack index files and the loose object
 * directories without inflating anything: checking that a 1 GB tree is complete must not mean
 * reading 1 GB.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const IDX_V2_MAGIC = 0xff744f63;
const FANOUT_ENTRIES = 256;

/** The object ids listed in one pack index (version 1 or 2). */
export function packIndexOids(idx: Buffer): string[] | string {
  const v2 = idx.length >= 8 && idx.readUInt32BE(0) === IDX_V2_MAGIC;
  if (v2 && idx.readUInt32BE(4) !== 2)
    return `unsupported pack index version ${idx.readUInt32BE(4)}`;
  const fanout = v2 ? 8 : 0;
  if (idx.length < fanout + FANOUT_ENTRIES * 4) return 'pack index is truncated';
  const count = idx.readUInt32BE(fanout + (FANOUT_ENTRIES - 1) * 4);
  const table = fanout + FANOUT_ENTRIES * 4;
  const stride = v2 ? 20 : 24;
  const skip = v2 ? 0 : 4;
  if (idx.length < table + count * stride) return 'pack index is truncated';
  const oids: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = table + i * stride + skip;
    oids.push(idx.toString('hex', at, at + 20));
  }
  return oids;
}

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ENOENT') return [];
    throw cause;
  }
}

/** What {@link ObjectPresence.snapshot} found. */
export interface PresenceSnapshot {
  has(oid: string): boolean;
  /** True when a pack seen by an earlier snapshot is gone: someone removed objects. */
  readonly packsVanished: boolean;
}

/**
 * Remembers each pack index it has read (packs never change once written), so a snapshot costs
 * one directory listing per object fan-out directory plus the indexes of new packs.
 */
export class ObjectPresence {
  private readonly packs = new Map<string, readonly string[]>();

  constructor(private readonly gitdir: string) {}

  /** The objects present now. Rejects when the object directory cannot be read. */
  async snapshot(): Promise<PresenceSnapshot> {
    const objects = join(this.gitdir, 'objects');
    const indexes = (await listOrEmpty(join(objects, 'pack'))).filter((f) => f.endsWith('.idx'));
    const current = new Set(indexes);
    const packsVanished = [...this.packs.keys()].some((name) => !current.has(name));
    for (const name of this.packs.keys()) if (!current.has(name)) this.packs.delete(name);
    for (const name of indexes) {
      if (this.packs.has(name)) continue;
      const oids = packIndexOids(await readFile(join(objects, 'pack', name)));
      // An unreadable index holds nothing we can count on; isomorphic-git will fail on it too.
      this.packs.set(name, typeof oids === 'string' ? [] : oids);
    }
    const present = new Set<string>();
    for (const oids of this.packs.values()) for (const oid of oids) present.add(oid);
    for (const fanout of await listOrEmpty(objects)) {
      if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
      for (const rest of await listOrEmpty(join(objects, fanout))) {
        if (/^[0-9a-f]{38}$/.test(rest)) present.add(fanout + rest);
      }
    }
    return { has: (oid) => present.has(oid), packsVanished };
  }

  /** How many packs the last snapshot saw: every fetch adds one. */
  get packCount(): number {
    return this.packs.size;
  }
}
