// The first fetch of the large tree, in a fresh process so its RSS growth is its own. It first
// fetches a small repository over the same transport (modules loaded, connection made), then
// measures the first fetch of <commit> into the empty <cacheDir>. Prints one JSON line:
// { ms, rssGrowthMb }. The peak is the larger of RSS sampled every 10 ms and the process's
// high-water mark of its resident set (VmHWM: its own, where getrusage's
// maxRSS would carry the parent's peak across fork and exec).
//   node --expose-gc --import tsx bench/publish/fetch-phase.ts '<json job>'
// job: { url, commit, cacheDir, warmUrl, warmCommit, warmCacheDir, sshKey?, knownHosts? }
import { readFileSync } from 'node:fs';
import { openGitSource, type GitSourceOptions } from '@berth/core';

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
  readonly url: string;
  readonly commit: string;
  readonly cacheDir: string;
  readonly warmUrl: string;
  readonly warmCommit: string;
  readonly warmCacheDir: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function resolve(url: string, cacheDir: string, commit: string): Promise<void> {
  const ssh: Partial<GitSourceOptions> = job.sshKey
    ? {
        sshAuth: () => ({ agent: false as const, keys: [{ path: job.sshKey as string }] }),
        hostKeys: { knownHostsFiles: [job.knownHosts as string] },
      }
    : {};
  const source = openGitSource({ url, cacheDir, timeoutMs: 30 * 60_000, ...ssh });
  if (source.isErr()) throw new Error(source.error.message);
  const resolved = await source.value.resolve(commit);
  if (resolved.isErr()) throw new Error(resolved.error.message);
}

await resolve(job.warmUrl, job.warmCacheDir, job.warmCommit);
gc();
gc();
const before = process.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
const started = performance.now();
try {
  await resolve(job.url, job.cacheDir, job.commit);
} catch (cause) {
  process.stderr.write(`${cause instanceof Error ? cause.message : String(cause)}\n`);
  process.exit(1);
} finally {
  clearInterval(timer);
}
const ms = performance.now() - started;
peak = Math.max(peak, process.memoryUsage().rss, highWaterRss());
process.stdout.write(`${JSON.stringify({ ms, rssGrowthMb: (peak - before) / 2 ** 20 })}\n`);
process.exit(0);
