// One fetch in a process of its own, for the memory tests of the fetch
// (packages/core/src/git/fetch-memory.test.ts) and bench/publish. Run with
// `node --expose-gc --import tsx`; argv[2] is JSON:
//   { "warmUrl", "url", "commit", "warmCommit", "cacheDir", "warmCacheDir",
//     "sshKey"?, "knownHosts"?, "timeoutMs"? (default 10 min) }
// It first fetches `warmCommit` from `warmUrl` (a small repository on the same transport) so
// that modules and connections are loaded, then measures the first fetch of `commit` from `url`
// into the empty `cacheDir`, and prints one line of JSON:
//   { "ms", "rssBeforeMb", "peakGrowthMb", "packBytes" }.
// The peak is the larger of RSS sampled every 10 ms and the process's high-water mark of its resident set (VmHWM: its own, where getrusage's
// maxRSS would carry the parent's peak across fork and exec).
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openGitSource, type GitSourceOptions } from '../../packages/core/src/git/source';

/** The process's own peak resident set (Linux VmHWM), 0 where /proc is not there. */
function highWaterRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Job {
  readonly warmUrl: string;
  readonly warmCommit: string;
  readonly warmCacheDir: string;
  readonly url: string;
  readonly commit: string;
  readonly cacheDir: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
  readonly timeoutMs?: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function options(url: string, cacheDir: string): GitSourceOptions {
  const ssh = job.sshKey
    ? {
        sshAuth: () => ({ agent: false as const, keys: [{ path: job.sshKey as string }] }),
        hostKeys: { knownHostsFiles: [job.knownHosts as string] },
      }
    : {};
  return { url, cacheDir, timeoutMs: job.timeoutMs ?? 10 * 60_000, ...ssh };
}

async function resolve(url: string, cacheDir: string, commit: string): Promise<void> {
  const source = openGitSource(options(url, cacheDir));
  if (source.isErr()) throw new Error(source.error.message);
  const resolved = await source.value.resolve(commit);
  if (resolved.isErr()) throw new Error(resolved.error.message);
}

async function packBytes(cacheDir: string): Promise<number> {
  const dir = join(cacheDir, 'objects', 'pack');
  let total = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith('.pack')) total += (await stat(join(dir, name))).size;
  }
  return total;
}

async function main(): Promise<void> {
  await resolve(job.warmUrl, job.warmCacheDir, job.warmCommit);
  gc();
  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = performance.now();
  try {
    await resolve(job.url, job.cacheDir, job.commit);
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - started;
  peak = Math.max(peak, process.memoryUsage().rss, highWaterRss());
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      ms: Math.round(ms),
      rssBeforeMb: mb(before),
      peakGrowthMb: mb(peak - before),
      packBytes: await packBytes(job.cacheDir),
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (cause: unknown) => {
    process.stderr.write(`${cause instanceof Error ? cause.message : String(cause)}\n`);
    process.exit(1);
  },
);
