/**
 * A pack file being received: appended to as the bytes arrive, read by the indexer meanwhile,
 * its reads waiting until what they ask for has been written (or the pack ended). The file is
 * the buffer between the network and the indexer, so neither holds the pack.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FIRST_ENTRY, type PackBytes } from './pack-entry';

export const CHECKSUM_BYTES = 20;
/** How much the indexer reads from the file at once. */
export const WINDOW = 1024 * 1024;

/** Writes all of `bytes` at `position`. */
export async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}

/**
 * The pack file while it is being received: appended to by the receiver, read by the indexer,
 * whose reads wait until the bytes they ask for have been written (or the pack ended).
 */
export class GrowingFile implements PackBytes {
  /** Bytes written so far. */
  written = 0;
  private ended = false;
  private failed: Error | undefined;
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

  fail(cause: Error): void {
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

/** Reads of the whole file once it is complete (and as outside bases are appended to it). */
export function fileBytes(handle: FileHandle, end: () => number): PackBytes {
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
