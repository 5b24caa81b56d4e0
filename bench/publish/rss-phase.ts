// The publish phase of the large-tree row, in a fresh process so its RSS growth is its own (the
// fetch before it leaves the parent holding gigabytes). Prints one JSON line.
//   node --expose-gc --import tsx bench/publish/rss-phase.ts <url> <cacheDir> <commit> <data container>
import { connectDocker, containerTarget, openGitSource, publishCommit } from '@berth/core';

const [url = '', cacheDir = '', commit = '', container = ''] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};
const docker = await connectDocker();
if (docker.isErr()) fail(docker.error.message);
const source = openGitSource({ url, cacheDir });
if (source.isErr()) fail(source.error.message);
const target = containerTarget(docker._unsafeUnwrap(), { container, path: '/www' });
gc();
gc();
const before = process.memoryUsage().rss;
let peak = before;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const started = performance.now();
const report = await publishCommit({ source: source._unsafeUnwrap(), commit, target });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
if (report.isErr()) fail(report.error.message);
const closed = await target.close();
if (closed.isErr()) fail(closed.error.message);
process.stdout.write(
  `${JSON.stringify({ ms: performance.now() - started, rssGrowthMb: (peak - before) / 2 ** 20, bytesSent: report._unsafeUnwrap().bytesSent })}\n`,
);
