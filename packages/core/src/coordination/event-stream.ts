/**
 * An async iterable of events for any number of readers. Each iterator sees the events emitted
 * after it was created, in order, and ends when the stream closes. A reader that falls more than
 * `capacity` events behind loses the oldest ones rather than holding memory without bound.
 */
export class EventStream<T> implements AsyncIterable<T> {
  private readonly readers = new Set<Reader<T>>();
  private closed = false;

  constructor(private readonly capacity = 10_000) {}

  emit(event: T): void {
    if (this.closed) return;
    for (const reader of this.readers) reader.push(event);
  }

  /** Ends every iterator once it has read what was emitted before. */
  close(): void {
    this.closed = true;
    for (const reader of this.readers) reader.end();
    this.readers.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const reader = new Reader<T>(this.capacity, () => this.readers.delete(reader));
    if (this.closed) reader.end();
    else this.readers.add(reader);
    return reader;
  }
}

class Reader<T> implements AsyncIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly detach: () => void,
  ) {}

  push(event: T): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.capacity) this.queue.shift();
  }

  end(): void {
    this.ended = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.detach();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
}
