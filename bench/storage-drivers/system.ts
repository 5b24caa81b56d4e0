import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a program and answers its trimmed stdout; rejects with its stderr on a non-zero exit. */
export async function sh(
  program: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  try {
    const { stdout } = await run(program, [...args], {
      maxBuffer: 64 * 1024 * 1024,
      ...(env && { env }),
    });
    return stdout.trim();
  } catch (cause) {
    const failure = cause as { stderr?: unknown; message?: string };
    const stderr = typeof failure.stderr === 'string' ? failure.stderr.trim() : '';
    throw new Error(`${program} ${args.join(' ')}: ${stderr || failure.message || String(cause)}`, {
      cause,
    });
  }
}

export async function has(program: string): Promise<boolean> {
  return sh('sh', ['-c', `command -v ${program}`]).then(
    () => true,
    () => false,
  );
}

/** Mount points at or under any of `prefixes`, deepest first (the order to unmount them in). */
export async function mountsUnder(prefixes: readonly string[]): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter(
      (p): p is string =>
        p !== undefined && prefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)),
    );
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Processes whose command line mentions `needle` (a bench daemon's own directory). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/** Alive and not a zombie (PID 1 here reaps slowly: check the state, not only kill -0). */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = /\) (\S)/.exec(stat)?.[1];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Waits for `check` to hold, checking every `everyMs`, for at most `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
