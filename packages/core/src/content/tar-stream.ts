import { TAR_END, tarEntry } from '../util/tar';
import type { StagedFile } from './target';

const CHUNK = 256 * 1024;

/**
 * The staged files as a tar byte stream, built entry by entry (memory stays at about one file
 * plus one chunk), in chunks of about 256 KiB, counting content bytes into `counter`. `trailer`,
 * asked once every file went through, gives one more file to end with (the release's manifest).
 */
export async function* tarStream(
  files: AsyncIterable<StagedFile>,
  mtime: Date,
  counter: { bytes: number },
  trailer?: () => { readonly path: string; readonly content: Buffer },
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const file of files) {
    counter.bytes += file.content.length;
    const entry =
      file.kind === 'symlink'
        ? tarEntry({
            path: file.path,
            type: 'symlink',
            target: file.content.toString('utf8'),
            mtime,
          })
        : tarEntry({
            path: file.path,
            type: 'file',
            content: file.content,
            mode: file.kind === 'executable' ? 0o755 : 0o644,
            mtime,
          });
    for (const block of entry) {
      pending.push(block);
      size += block.length;
    }
    if (size >= CHUNK) {
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
    }
  }
  if (trailer) {
    const last = trailer();
    pending.push(
      ...tarEntry({ path: last.path, type: 'file', content: last.content, mode: 0o644, mtime }),
    );
  }
  pending.push(TAR_END);
  yield Buffer.concat(pending);
}
