// Processes sharing one cache directory (two watchers, a watcher and `berth publish`) take turns
// through the cache's lock file; a lock left by a process killed with -9 is broken, not waited on.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures } from '../../../../test/support/git';
import { openTestSource } from '../../../../test/support/git-source';
import { lockPathOf } from './file-lock';

const fixtures = useGitFixtures();
const ROOT = join(__dirname, '..', '..', '..', '..');
const WORKER = join(ROOT, 'test', 'support', 'git-cache-worker.ts');
const CHILD_LIMIT_MS = 120_000;

interface Child {
  readonly process: ChildProcess;
  /** Everything it printed on stdout, once it exited with 0. */
  readonly done: Promise<string>;
  /** Resolves when its stdout contains `text`. */
  printed(text: string): Promise<void>;
}

function worker(job: object): Child {
  // tsx as a loader, not its CLI: one process, so the pid that takes the lock is the one killed.
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], {
    cwd: ROOT,
  });
  let out = '';
  let errors = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of waiters) if (out.includes(waiter.text)) waiter.resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  const done = new Promise<string>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`worker exited ${code ?? signal}: ${errors}`));
    });
  });
  return {
    process: child,
    done,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        done.then(() => reject(new Error(`exited without printing ${text}`)), reject);
      }),
  };
}

describe('one cache directory, several processes', () => {
  it('lets two processes fetch and read the same cache at once, every file right', async () => {
    const repo = await fixtures.repo('two-processes');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const commits: Record<string, Record<string, string>> = {};
    let files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) {
      files = {
        ...files,
        'index.html': `<h1>v${i}</h1>\n${randomBytes(2_000).toString('hex')}\n`,
        [`pages/p${i}.html`]: `page ${i}\n`,
      };
      commits[await commitFiles(repo, files)] = files;
    }
    const job = { mode: 'read', url: repo.url, cacheDir, commits, rounds: 2 };
    const outputs = await Promise.all([worker(job).done, worker(job).done]);
    for (const output of outputs) {
      const result = JSON.parse(output.trim()) as { failures: string[]; reads: number };
      expect(result.failures.slice(0, 5)).toEqual([]);
      expect(result.reads).toBeGreaterThan(0);
    }
    for (const file of await readdir(join(cacheDir, 'objects', 'pack'))) {
      if (file.endsWith('.idx'))
        await git(['verify-pack', join(cacheDir, 'objects', 'pack', file)]);
    }
    await expect(access(lockPathOf(cacheDir))).rejects.toThrow();
  });

  it('breaks the lock of a process killed with -9 while it held it', async () => {
    const repo = await fixtures.repo('stale-lock');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const commit = await commitFiles(repo, { 'index.html': 'hello\n' });
    const holder = worker({ mode: 'hold', cacheDir });
    await holder.printed('locked');
    const lock = JSON.parse(await readFile(lockPathOf(cacheDir), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(holder.process.pid);
    const exited = holder.done.catch(() => undefined);
    holder.process.kill('SIGKILL');
    await exited;
    const source = await openTestSource(fixtures, { url: repo.url, cacheDir });
    expect((await source.resolve('main'))._unsafeUnwrap()).toBe(commit);
    await expect(access(lockPathOf(cacheDir))).rejects.toThrow();
  });

  it('waits for a live holder instead of breaking its lock', async () => {
    const repo = await fixtures.repo('live-lock');
    const cacheDir = await fixtures.dir('berth-git-cache');
    const commit = await commitFiles(repo, { 'index.html': 'hello\n' });
    const holder = worker({ mode: 'hold', cacheDir });
    await holder.printed('locked');
    const source = await openTestSource(fixtures, { url: repo.url, cacheDir });
    const resolving = source.resolve('main');
    let settled = false;
    void resolving.then(() => (settled = true));
    // Still waiting after the holder has had many chances to be judged (wrongly) stale.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    const exited = holder.done.catch(() => undefined);
    holder.process.kill('SIGKILL');
    await exited;
    expect((await resolving)._unsafeUnwrap()).toBe(commit);
  });
});
