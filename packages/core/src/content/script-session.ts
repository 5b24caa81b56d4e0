/**
 * One long-lived `exec` in the container a content target works in: a small shell loop that
 * reads a script and its input from stdin, runs it and answers with its output and exit code.
 * A publish then costs no Docker request at all — an `exec` costs three (create, start,
 * inspect) and, measured here, ≈ 100 ms before the first command runs — only the processes
 * the script itself starts.
 *
 * Requests go one at a time. Input is read whole into a file in the container (by `dd`, which
 * reads no further than asked: `head -c` may) before the script runs, so a script that stops early can never leave bytes behind that the loop would
 * take for the next request; that is why the caller sends only small inputs this way.
 *
 * A script may leave work for after its answer: lines appended to the file `$BERTH_LATER` are
 * run, before the next request is read, by running the script again with `$BERTH_RUN_LATER`
 * naming that file (the script sources it; its output and failures go nowhere).
 *
 * Wire format, client to loop: `<id> <script bytes> <input bytes>\n`, the script, the input.
 * Loop to client, on stdout: the script's stdout, its stderr as `berth-err <id> <line>` lines,
 * then `berth-end <id> <exit code>`.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { clientOf, type DockerConnection } from '../docker/connection';
import { StreamDemuxer } from '../docker/demux';
import type { ExecResult } from '../containers/exec';

const LOOP = `
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
take() { if [ "$1" -gt 0 ]; then dd bs="$1" count=1 iflag=fullblock of="$2" 2>/dev/null; else : > "$2"; fi; }
while read -r id slen plen; do
  take "$slen" "$d/s" && take "$plen" "$d/p" && : > "$d/l"
  BERTH_LATER="$d/l" sh "$d/s" < "$d/p" 2> "$d/e"
  c=$?
  [ -s "$d/e" ] && sed "s/^/berth-err $id /" "$d/e"
  echo "berth-end $id $c"
  [ -s "$d/l" ] && BERTH_RUN_LATER="$d/l" sh "$d/s" < /dev/null > /dev/null 2>&1
done
`;

/** Single-quoted for sh: any bytes but NUL, newlines included. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How long a script may take to answer, and what cuts it short. */
export interface RunLimits {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

interface Pending {
  readonly id: string;
  readonly resolve: (result: ExecResult) => void;
  readonly reject: (cause: Error) => void;
  stdout: string[];
  stderr: string[];
}

export class ScriptSession {
  private stream: Duplex | undefined;
  private opening: Promise<Duplex> | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private partial = '';
  /** The ids of the execs this session opened (a new one after each break). */
  readonly execIds = new Set<string>();

  constructor(
    private readonly docker: DockerConnection,
    readonly containerId: string,
  ) {}

  /**
   * Runs `body` with `args` as its positional parameters and `input` on its stdin. Rejects when
   * the session breaks, times out or is aborted (the session is then closed: a new one opens
   * for the next call).
   */
  run(
    body: string,
    args: readonly string[],
    input: Buffer,
    options: RunLimits,
  ): Promise<ExecResult> {
    const turn = this.queue.then(() => this.runNow(body, args, input, options));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ends the loop at once (its stdin closes, the stream is torn down) and forgets the stream. */
  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.opening = undefined;
    stream?.end();
    stream?.destroy();
  }

  /**
   * Ends the loop once it is idle, and waits until it has exited: the requests in the queue get
   * their answers, then its stdin closes, and the loop runs the work its last script left for
   * after its answer (pruning, under the volume's lock) before it reads the end of its input.
   * Removing the container right after `close()` would kill that work and leave the lock behind,
   * for every later writer to wait 30 s on. Bounded by `timeoutMs`: after that it is torn down.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    await this.queue;
    const stream =
      this.stream ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.stream = undefined;
    this.opening = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
      // The engine closes the stream when the exec exits; reading keeps 'end' coming.
      stream.resume();
      stream.end();
    });
    stream.destroy();
  }

  private async runNow(
    body: string,
    args: readonly string[],
    input: Buffer,
    options: RunLimits,
  ): Promise<ExecResult> {
    options.signal?.throwIfAborted();
    const stream = await this.open();
    const id = randomBytes(6).toString('hex');
    const script = Buffer.from(`set -- ${args.map(shellQuote).join(' ')}\n${body}`, 'utf8');
    return new Promise<ExecResult>((resolve, reject) => {
      const fail = (cause: Error) => {
        cleanup();
        this.close();
        reject(cause);
      };
      const onAbort = () => fail(new Error('aborted'));
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending = undefined;
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = {
        id,
        resolve: (result) => {
          cleanup();
          resolve(result);
        },
        reject: fail,
        stdout: [],
        stderr: [],
      };
      stream.write(`${id} ${script.length} ${input.length}\n`);
      stream.write(script);
      stream.write(input);
    });
  }

  private open(): Promise<Duplex> {
    if (this.stream && !this.stream.destroyed) return Promise.resolve(this.stream);
    this.opening ??= (async () => {
      const exec = await clientOf(this.docker)
        .getContainer(this.containerId)
        .exec({
          Cmd: ['sh', '-c', LOOP],
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
        });
      this.execIds.add(exec.id);
      const stream = await exec.start({ hijack: true, stdin: true });
      this.partial = '';
      const demuxer = new StreamDemuxer(
        (kind, payload) => {
          if (kind === 'stdout') this.onStdout(payload.toString('utf8'));
        },
        { keep: false },
      );
      stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
      const broken = (why: string) => () => {
        if (this.stream === stream) this.stream = undefined;
        this.opening = undefined;
        this.pending?.reject(new Error(why));
      };
      stream.on('end', broken('the session ended'));
      stream.on('close', broken('the session closed'));
      stream.on('error', (cause: Error) => broken(`the session failed: ${cause.message}`)());
      this.stream = stream;
      return stream;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private onStdout(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const pending = this.pending;
      if (!pending) continue;
      // The end marker, after whatever the script printed without a final newline.
      const marker = `berth-end ${pending.id} `;
      const at = line.lastIndexOf(marker);
      const code = at < 0 ? undefined : /^\d+$/.exec(line.slice(at + marker.length))?.[0];
      if (code !== undefined) {
        if (at > 0) pending.stdout.push(line.slice(0, at));
        pending.resolve({
          exitCode: Number(code),
          stdout: pending.stdout.join(''),
          stderr: pending.stderr.join(''),
        });
        continue;
      }
      const prefix = `berth-err ${pending.id} `;
      if (line.startsWith(prefix)) pending.stderr.push(`${line.slice(prefix.length)}\n`);
      else pending.stdout.push(`${line}\n`);
    }
  }
}
