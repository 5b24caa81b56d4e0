/** git's pkt-lines, as far as the SSH transport needs them (`ssh-transport.ts`). */

/** What smart HTTP puts before upload-pack's ref advertisement (and SSH does not send). */
export const SERVICE_LINE = Buffer.from('001e# service=git-upload-pack\n0000', 'latin1');

/**
 * Walks whole pkt-lines of `buffer` from `offset`: where the first flush (`0000`) ends, or how
 * far the complete lines go. Throws on bytes that are not pkt-lines.
 */
export function scanToFlush(
  buffer: Buffer,
  offset: number,
): { readonly offset: number; readonly flushEnd?: number } {
  let at = offset;
  while (buffer.length - at >= 4) {
    const length = parseInt(buffer.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(length) || (length > 0 && length < 4)) {
      throw new Error('git-upload-pack sent something that is not a pkt-line');
    }
    if (length === 0) return { offset: at, flushEnd: at + 4 };
    if (buffer.length - at < length) break;
    at += length;
  }
  return { offset: at };
}
