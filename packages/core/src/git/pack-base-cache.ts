/**
 * Recently inflated delta bases, bounded by their total size: a chain of small deltas (a tree
 * changed in every commit) is resolved once, not once per object in it.
 */
import type { RawObject } from './objects';

export class DeltaBaseCache {
  /** In use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, RawObject>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): RawObject | undefined {
    const object = this.entries.get(key);
    if (object) {
      this.entries.delete(key);
      this.entries.set(key, object);
    }
    return object;
  }

  /** Keeps `object` unless it alone is larger than the budget; evicts the oldest to make room. */
  set(key: string, object: RawObject): void {
    if (object.content.length > this.maxBytes || this.entries.has(key)) return;
    this.entries.set(key, object);
    this.bytes += object.content.length;
    for (const [oldest, evicted] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= evicted.content.length;
    }
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }
}
