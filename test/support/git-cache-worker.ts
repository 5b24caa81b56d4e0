// A separate process on a shared git cache, for the cross-process tests of the cache
// (packages/core/src/git/cache-processes.test.ts). Run with tsx; argv[2] is JSON:
//   { "mode": "read", "url", "cacheDir", "commits": { sha: { path: content } }, "rounds" }
//     resolves every commit (in this process's own order), reads every file, and prints one line
//     of JSON: { "failures": [...], "reads": n };
//   { "mode": "hold", "cacheDir" } takes the cache's lock file, prints "locked", and waits to be killed.
import { acquireFileLock } from '../../packages/core/src/git/file-lock';
import { openGitSource } from '../../packages/core/src/git/source';

interface ReadJob {
  readonly mode: 'read';
  readonly url: string;
  readonly cacheDir: string;
  readonly commits: Record<string, Record<string, string>>;
  readonly rounds: number;
}

async function read(job: ReadJob): Promise<void> {
  const opened = openGitSource({ url: job.url, cacheDir: job.cacheDir });
  if (opened.isErr()) throw new Error(opened.error.message);
  const source = opened.value;
  const failures: string[] = [];
  let reads = 0;
  const shas = Object.keys(job.commits);
  for (let round = 0; round < job.rounds; round++) {
    // Each process walks the commits in its own order, so their fetches overlap.
    const order = process.pid % 2 === 0 ? shas : [...shas].reverse();
    for (const sha of order) {
      const resolved = await source.resolve(sha);
      if (resolved.isErr()) {
        failures.push(`resolve ${sha}: ${resolved.error.message}`);
        continue;
      }
      const entries = await source.listTree(sha);
      if (entries.isErr()) {
        failures.push(`list ${sha}: ${entries.error.message}`);
        continue;
      }
      for (const entry of entries.value) {
        if (entry.type !== 'blob') continue;
        const blob = await source.readBlob(entry.oid);
        reads += 1;
        const wanted = job.commits[sha]?.[entry.path];
        if (blob.isErr()) failures.push(`read ${entry.path}@${sha}: ${blob.error.message}`);
        else if (blob.value.toString() !== wanted) failures.push(`${entry.path}@${sha} differs`);
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ failures, reads })}\n`);
}

async function hold(cacheDir: string): Promise<void> {
  const release = await acquireFileLock(cacheDir);
  if (!release) throw new Error('not locked');
  process.stdout.write('locked\n');
  setInterval(() => undefined, 60_000);
}

const job = JSON.parse(process.argv[2] ?? '{}') as ReadJob | { mode: 'hold'; cacheDir: string };
void (job.mode === 'hold' ? hold(job.cacheDir) : read(job)).catch((cause: unknown) => {
  process.stderr.write(`${String(cause)}\n`);
  process.exit(1);
});
