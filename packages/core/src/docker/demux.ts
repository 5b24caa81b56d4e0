/**
 * Docker multiplexes a non-TTY container's stdout and stderr on one stream: frames of an
 * 8-byte header (stream type, 3 zero bytes, big-endian length) and the payload. This splits
 * them, whether the bytes arrive as one buffer (logs) or in chunks (exec, follow).
 */
export class StreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];

  /** With `keep: false` frames only go to `onFrame` (a stream that lives long keeps nothing). */
  constructor(
    private readonly onFrame?: (stream: 'stdout' | 'stderr', payload: Buffer) => void,
    private readonly options: { readonly keep?: boolean } = {},
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const type = this.pending[0];
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      // 0 is stdin (echoed only with a TTY), 1 stdout, 2 stderr.
      const stream = type === 2 ? 'stderr' : 'stdout';
      if (this.options.keep !== false)
        (stream === 'stderr' ? this.stderr : this.stdout).push(payload);
      this.onFrame?.(stream, payload);
    }
  }

  text(stream: 'stdout' | 'stderr'): string {
    return Buffer.concat(stream === 'stderr' ? this.stderr : this.stdout).toString('utf8');
  }
}

/** Demultiplexes a whole buffer (a non-following `logs` answer). */
export function demuxBuffer(buffer: Buffer): { stdout: string; stderr: string } {
  const demuxer = new StreamDemuxer();
  demuxer.push(buffer);
  return { stdout: demuxer.text('stdout'), stderr: demuxer.text('stderr') };
}
