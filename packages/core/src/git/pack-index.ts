/**
 * A pack's index file (`.idx`, version 2, or the older version 1): which objects the pack holds
 * and where each one starts, found by binary search over the sorted names without touching the
 * pack itself.
 */

const V2_MAGIC = 0xff744f63;
const FANOUT_BYTES = 256 * 4;
const OID_BYTES = 20;
/** The pack's checksum, then the index's own. */
const TRAILER_BYTES = 2 * OID_BYTES;
/** A version-2 offset with this bit set is an index into the table of 8-byte offsets. */
const LARGE_OFFSET = 0x80000000;

interface Layout {
  readonly version: 1 | 2;
  readonly count: number;
  /** Where the first name is, and the bytes from one name to the next. */
  readonly names: number;
  readonly stride: number;
  /** v1: where each entry's 4-byte offset is relative to its name; v2: the 4-byte table. */
  readonly offsets: number;
  readonly largeOffsets: number;
  readonly largeCount: number;
}

function layoutOf(bytes: Buffer): Layout | string {
  const v2 = bytes.length >= 8 && bytes.readUInt32BE(0) === V2_MAGIC;
  if (v2 && bytes.readUInt32BE(4) !== 2) {
    return `unsupported pack index version ${bytes.readUInt32BE(4)}`;
  }
  const fanout = v2 ? 8 : 0;
  if (bytes.length < fanout + FANOUT_BYTES + TRAILER_BYTES) return 'pack index is truncated';
  let previous = 0;
  for (let i = 0; i < 256; i++) {
    const upTo = bytes.readUInt32BE(fanout + i * 4);
    if (upTo < previous) return `pack index fan-out decreases at byte ${i}`;
    previous = upTo;
  }
  const count = previous;
  const table = fanout + FANOUT_BYTES;
  if (!v2) {
    if (bytes.length !== table + count * (4 + OID_BYTES) + TRAILER_BYTES) {
      return `a version 1 pack index of ${count} objects cannot be ${bytes.length} bytes long`;
    }
    const layout = { names: table + 4, stride: 4 + OID_BYTES, offsets: -4 };
    return { version: 1, count, ...layout, largeOffsets: 0, largeCount: 0 };
  }
  const offsets = table + count * (OID_BYTES + 4);
  const largeOffsets = offsets + count * 4;
  const largeBytes = bytes.length - TRAILER_BYTES - largeOffsets;
  if (largeBytes < 0 || largeBytes % 8 !== 0) {
    return `a version 2 pack index of ${count} objects cannot be ${bytes.length} bytes long`;
  }
  const names = table;
  return {
    version: 2,
    count,
    names,
    stride: OID_BYTES,
    offsets,
    largeOffsets,
    largeCount: largeBytes / 8,
  };
}

/** One parsed `.idx` file; immutable, like the pack it describes. */
export class PackIndex {
  private constructor(
    private readonly bytes: Buffer,
    private readonly layout: Layout,
  ) {}

  /** The index, or a description of what is malformed (every offset is checked here). */
  static parse(bytes: Buffer): PackIndex | string {
    const layout = layoutOf(bytes);
    if (typeof layout === 'string') return layout;
    const index = new PackIndex(bytes, layout);
    for (let i = 0; i < layout.count; i++) {
      const offset = index.offsetAt(i);
      if (typeof offset === 'string') return offset;
    }
    return index;
  }

  get version(): 1 | 2 {
    return this.layout.version;
  }

  get count(): number {
    return this.layout.count;
  }

  /** The SHA-1 of the pack this index describes, as the pack's last 20 bytes should read. */
  get packChecksum(): Buffer {
    const end = this.bytes.length - OID_BYTES;
    return this.bytes.subarray(end - OID_BYTES, end);
  }

  /** Where the object starts in the pack, or undefined when this pack does not hold it. */
  offsetOf(oid: Buffer): number | undefined {
    const at = this.positionOf(oid);
    return at < 0 ? undefined : (this.offsetAt(at) as number);
  }

  has(oid: Buffer): boolean {
    return this.positionOf(oid) >= 0;
  }

  /** Every object name, in the index's (sorted) order. */
  oids(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.layout.count; i++) out.push(this.nameAt(i).toString('hex'));
    return out;
  }

  /** Every object with where it starts in the pack, in the index's (sorted) order. */
  entries(): { oid: Buffer; offset: number }[] {
    const out: { oid: Buffer; offset: number }[] = [];
    for (let i = 0; i < this.layout.count; i++) {
      out.push({ oid: this.nameAt(i), offset: this.offsetAt(i) as number });
    }
    return out;
  }

  private nameAt(i: number): Buffer {
    const at = this.layout.names + i * this.layout.stride;
    return this.bytes.subarray(at, at + OID_BYTES);
  }

  /** The fan-out narrows the search to names sharing the first byte; a binary search does the rest. */
  private positionOf(oid: Buffer): number {
    if (oid.length !== OID_BYTES) return -1;
    const first = oid[0] as number;
    const fanout = this.layout.version === 2 ? 8 : 0;
    let low = first === 0 ? 0 : this.bytes.readUInt32BE(fanout + (first - 1) * 4);
    let high = this.bytes.readUInt32BE(fanout + first * 4);
    const { names, stride } = this.layout;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = names + middle * stride;
      const order = oid.compare(this.bytes, at, at + OID_BYTES);
      if (order === 0) return middle;
      if (order < 0) high = middle;
      else low = middle + 1;
    }
    return -1;
  }

  private offsetAt(i: number): number | string {
    const { version, names, stride, offsets, largeOffsets, largeCount } = this.layout;
    if (version === 1) return this.bytes.readUInt32BE(names + i * stride + offsets);
    const small = this.bytes.readUInt32BE(offsets + i * 4);
    if ((small & LARGE_OFFSET) === 0) return small;
    const large = small - LARGE_OFFSET;
    if (large >= largeCount) {
      return `pack index entry ${i} names large offset ${large} of ${largeCount}`;
    }
    const value = this.bytes.readBigUInt64BE(largeOffsets + large * 8);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      return `pack index entry ${i} has an offset past 2^53`;
    }
    return Number(value);
  }
}
