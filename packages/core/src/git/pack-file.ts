/**
 * One pack of the object store: its parsed index, and a file handle opened on first use, shared
 * by concurrent reads, and closed when the pack has been idle for a moment or is closed for good.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { corruption, FIRST_ENTRY, type PackBytes } from './pack-entry';
import type { PackIndex } from './pack-index';

/** A pack untouched this long lets go of its file descriptor (it reopens on the next read). */
const IDLE_CLOSE_MS = 2_000;
const PACK_MAGIC = 'PACK';
const CHECKSUM_BYTES = 20;

async function readFully(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.max(0, length));
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Opens the pack and checks it is the one its index describes (header, count, checksum). */
async function openPack(
  path: string,
  index: PackIndex,
): Promise<PackBytes & { handle: FileHandle }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const header = await readFully(handle, 0, FIRST_ENTRY);
    const version = header.length === FIRST_ENTRY ? header.readUInt32BE(4) : 0;
    if (header.toString('latin1', 0, 4) !== PACK_MAGIC || (version !== 2 && version !== 3)) {
      throw corruption(`${path} is not a version 2 or 3 packfile`);
    }
    if (header.readUInt32BE(8) !== index.count) {
      throw corruption(`${path} holds ${header.readUInt32BE(8)} objects, its index ${index.count}`);
    }
    const checksum =
      size < FIRST_ENTRY + CHECKSUM_BYTES
        ? Buffer.alloc(0)
        : await readFully(handle, size - CHECKSUM_BYTES, CHECKSUM_BYTES);
    if (!checksum.equals(index.packChecksum)) {
      throw corruption(
        `${path} does not end with the checksum its index names`,
        undefined,
        'checksum',
      );
    }
    return {
      handle,
      end: size - CHECKSUM_BYTES,
      read: (position, length) => readFully(handle, position, length),
    };
  } catch (cause) {
    await handle.close();
    throw cause;
  }
}

export class PackFile {
  private opened: Promise<PackBytes & { handle: FileHandle }> | undefined;
  private users = 0;
  private idle: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    /** The index file's name, unique within the store. */
    readonly name: string,
    readonly path: string,
    readonly index: PackIndex,
  ) {}

  /** Runs `work` with the pack open; the handle stays open at least until `work` settles. */
  async use<T>(work: (pack: PackBytes) => Promise<T>): Promise<T> {
    if (this.closed) throw corruption(`${this.path} was closed: its store was reset`);
    this.users += 1;
    try {
      this.opened ??= openPack(this.path, this.index);
      let pack: PackBytes;
      try {
        pack = await this.opened;
      } catch (cause) {
        this.opened = undefined;
        throw cause;
      }
      return await work(pack);
    } finally {
      this.users -= 1;
      if (this.users === 0) this.whenIdle();
    }
  }

  /** Closes the handle now, or once the reads still using it have finished. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??=
      this.users === 0
        ? this.release()
        : new Promise<void>((resolve) => (this.drained = resolve)).then(() => this.release());
    return this.closing;
  }

  private whenIdle(): void {
    if (this.closed) {
      this.drained?.();
      return;
    }
    this.idle ??= setTimeout(() => {
      if (this.users === 0) void this.release();
    }, IDLE_CLOSE_MS).unref();
    this.idle.refresh();
  }

  private release(): Promise<void> {
    clearTimeout(this.idle);
    this.idle = undefined;
    const opened = this.opened;
    this.opened = undefined;
    // A pack that failed to open has nothing to close; one that opened is closed exactly once.
    return (opened ?? Promise.resolve(undefined))
      .then((pack) => pack?.handle.close())
      .catch(() => undefined);
  }
}
