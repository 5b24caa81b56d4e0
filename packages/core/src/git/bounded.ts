/** A small in-memory memo for the git source: immutable facts, the oldest forgotten first. */
/** A map that forgets its oldest entry past `limit`. */
export class Bounded<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    return this.entries.get(key);
  }
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
  clear(): void {
    this.entries.clear();
  }
}
