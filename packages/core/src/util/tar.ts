/**
 * A minimal ustar writer: enough for Docker's archive endpoint (regular files, directories,
 * symlinks, modes), with PAX headers for names ustar cannot hold. No compression.
 */
export interface TarEntry {
  /** Relative path inside the archive, `/`-separated. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly content?: Buffer | string;
  /** For symlinks. */
  readonly target?: string;
  /** Default 0o644 for files, 0o755 for directories, 0o777 for symlinks. */
  readonly mode?: number;
  readonly mtime?: Date;
  readonly uid?: number;
  readonly gid?: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(fields: {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  block.write(octal(fields.uid, 8), 108, 8, 'ascii');
  block.write(octal(fields.gid, 8), 116, 8, 'ascii');
  block.write(octal(fields.size, 12), 124, 12, 'ascii');
  block.write(octal(fields.mtime, 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write(fields.typeflag, 156, 1, 'ascii');
  block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length++;
  return `${length}${body}`;
}

/** One entry's blocks: an optional PAX header, the ustar header, the content, the padding. */
export function tarEntry(entry: TarEntry): Buffer[] {
  const content = entry.type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
  const name =
    entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const linkname = entry.type === 'symlink' ? (entry.target ?? '') : '';
  const mtime = Math.floor((entry.mtime?.getTime() ?? 0) / 1000);
  const parts: Buffer[] = [];
  const pax: string[] = [];
  if (Buffer.byteLength(name) > 99) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(linkname) > 99) pax.push(paxRecord('linkpath', linkname));
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''));
    parts.push(
      header({
        name: 'PaxHeader',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime,
        typeflag: 'x',
        linkname: '',
      }),
      body,
      padding(body.length),
    );
  }
  const defaultMode = entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
  parts.push(
    header({
      name: Buffer.byteLength(name) > 99 ? name.slice(0, 99) : name,
      mode: entry.mode ?? defaultMode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      size: content.length,
      mtime,
      typeflag: entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2',
      linkname: Buffer.byteLength(linkname) > 99 ? linkname.slice(0, 99) : linkname,
    }),
  );
  if (content.length > 0) parts.push(content, padding(content.length));
  return parts;
}

/** The two zero blocks that end an archive. */
export const TAR_END: Buffer = Buffer.alloc(BLOCK * 2);

/** A whole archive in memory: for small uploads (configs, test content). */
export function tarBuffer(entries: readonly TarEntry[]): Buffer {
  return Buffer.concat([...entries.flatMap((e) => tarEntry(e)), TAR_END]);
}
