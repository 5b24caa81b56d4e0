// Runs the built `berth` as a user would: a child process, with its own stdin, stdout, stderr
// and exit code. `npm run build` first.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const berthBin = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '.bin',
  'berth',
);

export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BinOptions {
  /** Written to its stdin, which is then closed. */
  readonly input?: string;
  /** Added to (or, with `undefined`, removed from) this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

export function berth(args: readonly string[], options: BinOptions = {}): Promise<BinResult> {
  const env = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(berthBin, [...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // berth may end without reading its stdin, before this is written (EPIPE): what it printed
    // and its exit code are the result either way.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The one JSON document on stdout; fails the test if there is anything else there. */
export function jsonOf(result: BinResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
