// The io of the `berth` process itself (the in-process CliIo that tests give is their own): its
// streams, environment, stdin and interrupt signal. Both executables (bin-program.ts, the full
// program, and bin-name.ts, the `berth name` fast path) run with this.
import type { CliIo } from './io';

/** All of stdin, for `--password-stdin`. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `berth --help | head -1`: once the reader of stdout (or stderr) has gone, nothing more can be
 * said to anyone; end quietly, as a program killed by SIGPIPE would, instead of crashing on an
 * unhandled EPIPE.
 */
export function endQuietlyOnClosedOutput(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit();
    });
  }
}

/**
 * A second Ctrl-C (or SIGTERM) while the first is still stopping the work: at once, with the code
 * a shell reports for SIGINT. Not one of ExitCode's: no JSON document comes with it (the Jenkins
 * example treats it as any code outside that table).
 */
const INTERRUPTED_EXIT = 130;

export function processIo(): CliIo {
  endQuietlyOnClosedOutput();

  // Ctrl-C (or a CI runner's SIGTERM) stops the work through its AbortSignal; a second one kills.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupt.abort();
      process.once(signal, () => process.exit(INTERRUPTED_EXIT));
    });
  }

  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdin: readStdin,
    // Progress only when a person watches both streams: `berth … | jq` or `2>log` draws none.
    isTTY: process.stderr.isTTY === true && process.stdout.isTTY === true,
    columns: process.stderr.columns ?? 80,
    signal: interrupt.signal,
  };
}
