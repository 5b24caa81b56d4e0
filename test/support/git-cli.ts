// The git CLI for test fixtures, as an async child process (never execFileSync: isomorphic-git
// in the same process talks to the git server meanwhile), without the user's configuration.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceEnv } from './services';

const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'berth test',
  GIT_AUTHOR_EMAIL: 'test@berth.invalid',
  GIT_COMMITTER_NAME: 'berth test',
  GIT_COMMITTER_EMAIL: 'test@berth.invalid',
};

export interface GitRunOptions {
  readonly cwd?: string;
  /** Run against this repository (`GIT_DIR`). */
  readonly gitDir?: string;
  readonly input?: string | Buffer;
  readonly env?: Record<string, string>;
}

/** Runs git, resolves its stdout (trimmed), rejects with its stderr. */
export function git(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...GIT_ENV,
        ...(options.gitDir ? { GIT_DIR: options.gitDir } : {}),
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8').trim());
      else
        reject(
          new Error(
            `git ${args.join(' ')} exited ${code}: ${Buffer.concat(errors).toString('utf8')}`,
          ),
        );
    });
    child.stdin.on('error', () => {}); // git may exit before reading all of it; 'close' reports why
    child.stdin.end(options.input ?? '');
  });
}

/** The URL with the server's test credentials in it, for the git CLI. */
export function withCredentials(url: string): string {
  const env = serviceEnv();
  const parsed = new URL(url);
  parsed.username = env.gitUser;
  parsed.password = env.gitPassword;
  return parsed.href;
}

/** A temporary directory, removed by its `cleanup`. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
