/**
 * The packs of one object store (`objects/pack`): each index is read once (packs never change
 * once written), new packs are picked up by looking at the directory again, and packs that are
 * gone are dropped with their file handles.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, listOrEmpty } from '../util/fs-errors';
import { PackFile } from './pack-file';
import { PackIndex } from './pack-index';

/** Where a packed object starts. */
export interface PackedLocation {
  readonly pack: PackFile;
  readonly offset: number;
}

export class PackSet {
  /** By index file name; undefined for an index that cannot be parsed (it still counts as a pack). */
  private readonly packs = new Map<string, PackFile | undefined>();
  private refreshing: Promise<void> | undefined;
  private vanished = false;
  private closed = false;

  constructor(private readonly dir: string) {}

  /**
   * Looks at the directory again: reads the indexes of new packs, drops (and closes) the packs
   * that are gone. Concurrent calls share one look. Rejects when the directory cannot be listed.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.look().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async look(): Promise<void> {
    const names = (await listOrEmpty(this.dir)).filter((f) => f.endsWith('.idx'));
    if (this.closed) return;
    const current = new Set(names);
    for (const [name, pack] of this.packs) {
      if (current.has(name)) continue;
      this.packs.delete(name);
      this.vanished = true;
      void pack?.close();
    }
    for (const name of names) {
      if (this.packs.has(name)) continue;
      let bytes: Buffer;
      try {
        bytes = await readFile(join(this.dir, name));
      } catch (cause) {
        if (isNotFound(cause)) continue;
        throw cause;
      }
      if (this.closed) return;
      const index = PackIndex.parse(bytes);
      const pack = join(this.dir, name.replace(/\.idx$/, '.pack'));
      // An unreadable index holds nothing we can count on: its objects are simply absent.
      this.packs.set(name, typeof index === 'string' ? undefined : new PackFile(name, pack, index));
    }
  }

  /** The first pack that lists the object, and where in it the object starts. */
  locate(oid: Buffer): PackedLocation | undefined {
    for (const pack of this.packs.values()) {
      const offset = pack?.index.offsetOf(oid);
      if (pack && offset !== undefined) return { pack, offset };
    }
    return undefined;
  }

  has(oid: Buffer): boolean {
    return this.locate(oid) !== undefined;
  }

  /** Packs seen by the last look at the directory, unreadable ones included. */
  get count(): number {
    return this.packs.size;
  }

  /** True once after a pack seen before has gone from the directory: someone removed objects. */
  takeVanished(): boolean {
    const vanished = this.vanished;
    this.vanished = false;
    return vanished;
  }

  /** Closes every pack's handle (after the reads in flight); the set reads nothing afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.packs.values()].map((pack) => pack?.close() ?? Promise.resolve());
    this.packs.clear();
    await Promise.all(closing);
  }
}
