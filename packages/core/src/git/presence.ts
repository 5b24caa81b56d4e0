/**
 * Which objects a cache directory holds, looked up in the pack indexes and listed from the loose
 * object directories without inflating anything: checking that a 1 GB tree is complete must not
 * mean reading 1 GB.
 */
import { join } from 'node:path';
import { listOrEmpty } from '../util/fs-errors';
import type { PackSet } from './pack-set';

/** What {@link ObjectPresence.snapshot} found. */
export interface PresenceSnapshot {
  has(oid: string): boolean;
  /** True when a pack seen by an earlier look is gone: someone removed objects. */
  readonly packsVanished: boolean;
}

/**
 * The store's packs (whose indexes are read once: packs never change once written) and its
 * loose objects, so a snapshot costs one directory listing per object fan-out directory plus the
 * indexes of new packs.
 */
export class ObjectPresence {
  constructor(
    private readonly gitdir: string,
    private readonly packs: PackSet,
  ) {}

  /** The objects present now. Rejects when the object directory cannot be read. */
  async snapshot(): Promise<PresenceSnapshot> {
    await this.packs.refresh();
    const packsVanished = this.packs.takeVanished();
    const objects = join(this.gitdir, 'objects');
    const loose = new Set<string>();
    for (const fanout of await listOrEmpty(objects)) {
      if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
      for (const rest of await listOrEmpty(join(objects, fanout))) {
        if (/^[0-9a-f]{38}$/.test(rest)) loose.add(fanout + rest);
      }
    }
    const packs = this.packs;
    return {
      has: (oid) => loose.has(oid) || packs.has(Buffer.from(oid, 'hex')),
      packsVanished,
    };
  }

  /** How many packs the last look saw: every fetch adds one. */
  get packCount(): number {
    return this.packs.count;
  }
}
