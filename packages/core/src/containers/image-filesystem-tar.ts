/**
 * Reads the entries of a tar stream (what Docker's archive endpoint sends) as it arrives,
 * without holding it: headers are parsed, content is skipped unless asked for. Knows ustar
 * (with its name prefix), GNU long names (`L`/`K`) and PAX headers (`x`; `g` is ignored).
 */
export interface TarEntryHeader {
  /** As written in the archive, without a trailing `/`. */
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  readonly size: number;
  readonly mode: number;
  /** For symlinks and hard links. */
  readonly linkTarget?: string;
}

const BLOCK = 512;

function cString(block: Buffer, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? slice.length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  // Base-256 (GNU) for sizes past 8 GiB: the high bit of the first byte is set.
  if (field[0] !== undefined && (field[0] & 0x80) !== 0) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = cString(block, start, length).trim();
  return text ? parseInt(text, 8) || 0 : 0;
}

function typeOf(flag: string): TarEntryHeader['type'] {
  switch (flag) {
    case '0':
    case '\0':
    case '':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

function paxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(body.subarray(offset, space).toString('ascii'), 10);
    if (!(length > 0) || offset + length > body.length) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}

type Wanted = (header: TarEntryHeader) => boolean;

/**
 * Push chunks in; `onEntry` gets every entry's header, and its content when `wantContent`
 * says so (content past `maxContentBytes` is cut). `end()` says whether the archive was whole.
 */
export class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  private state:
    | { readonly at: 'header' }
    | {
        readonly at: 'body';
        remaining: number;
        padding: number;
        collect?: Buffer[];
        /** Bytes of content still to keep. */
        room?: number;
        header?: TarEntryHeader;
        meta?: 'L' | 'K' | 'x';
      } = { at: 'header' };
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Map<string, string> | undefined;
  private finished = false;

  constructor(
    private readonly onEntry: (header: TarEntryHeader, content?: Buffer) => void,
    private readonly wantContent: Wanted = () => false,
    private readonly maxContentBytes = 1 << 20,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      if (this.finished) return;
      if (this.state.at === 'header') {
        if (this.pending.length < BLOCK) return;
        const block = this.pending.subarray(0, BLOCK);
        this.pending = this.pending.subarray(BLOCK);
        this.header(block);
        continue;
      }
      const body = this.state;
      if (body.remaining > 0) {
        if (this.pending.length === 0) return;
        const take = Math.min(body.remaining, this.pending.length);
        const part = this.pending.subarray(0, take);
        this.pending = this.pending.subarray(take);
        body.remaining -= take;
        if (body.collect && (body.room ?? 0) > 0) {
          const kept = Buffer.from(part.subarray(0, body.room));
          body.collect.push(kept);
          body.room = (body.room ?? 0) - kept.length;
        }
        continue;
      }
      if (this.pending.length < body.padding) return;
      this.pending = this.pending.subarray(body.padding);
      this.state = { at: 'header' };
      this.bodyDone(body);
    }
  }

  /** True when the archive ended with its zero blocks (or nothing at all was sent). */
  end(): boolean {
    return this.finished || (this.state.at === 'header' && this.pending.length === 0);
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.finished = true;
      return;
    }
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = octal(block, 124, 12);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'L' || flag === 'K' || flag === 'x') {
      // Metadata records are small; they are kept whole whatever maxContentBytes says.
      this.state = {
        at: 'body',
        remaining: size,
        padding,
        collect: [],
        room: Infinity,
        meta: flag,
      };
      return;
    }
    if (flag === 'g') {
      this.state = { at: 'body', remaining: size, padding };
      return;
    }
    const prefix =
      block.subarray(257, 262).toString('ascii') === 'ustar' ? cString(block, 345, 155) : '';
    const written = cString(block, 0, 100);
    const name =
      this.pax?.get('path') ?? this.longName ?? (prefix ? `${prefix}/${written}` : written);
    const link = this.pax?.get('linkpath') ?? this.longLink ?? cString(block, 157, 100);
    const paxSize = this.pax?.get('size');
    const realSize = paxSize !== undefined ? Number(paxSize) || 0 : size;
    this.longName = this.longLink = this.pax = undefined;
    const type = typeOf(flag);
    const header: TarEntryHeader = {
      name: name.replace(/\/+$/, ''),
      type,
      size: type === 'file' ? realSize : 0,
      mode: octal(block, 100, 8),
      ...((type === 'symlink' || type === 'hardlink') && { linkTarget: link }),
    };
    const dataSize = type === 'file' || type === 'other' ? realSize : 0;
    const collect = type === 'file' && this.wantContent(header) ? [] : undefined;
    this.state = {
      at: 'body',
      remaining: dataSize,
      padding: (BLOCK - (dataSize % BLOCK)) % BLOCK,
      header,
      ...(collect && { collect, room: this.maxContentBytes }),
    };
  }

  private bodyDone(body: {
    collect?: Buffer[];
    header?: TarEntryHeader;
    meta?: 'L' | 'K' | 'x';
  }): void {
    const data = body.collect ? Buffer.concat(body.collect) : undefined;
    if (body.meta === 'L')
      this.longName = (data ?? Buffer.alloc(0)).toString('utf8').replace(/\0+$/, '');
    else if (body.meta === 'K')
      this.longLink = (data ?? Buffer.alloc(0)).toString('utf8').replace(/\0+$/, '');
    else if (body.meta === 'x') this.pax = paxRecords(data ?? Buffer.alloc(0));
    else if (body.header) {
      this.onEntry(body.header, data);
    }
  }
}
