// The seed's way: `etcdctl watch <key> -- docker run --rm --network host --volumes-from <data>
// <git image> git -C /www/site pull`, nginx serving /www/site. The command is wrapped in two host
// timestamps, so the notification and the container's run are timed apart.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { announceRevision } from '@berth/core';
import { docker as dockerCli } from '../lib/docker-cli.ts';
import { cdnNode, unwrap } from './cdn-node.ts';
import { epochNow, oneFileUpdate, type BenchContext } from './context.ts';
import { originUrl, takeOriginLoad } from './origin.ts';
import type { MethodResult, Sample } from './samples.ts';
import { POLL_MS, servedAt } from './serve-poll.ts';

/** Lines `start <ns>` / `end <ns>` the wrapped command appends, as epoch ms. */
async function stamps(log: string): Promise<{ start: number; end: number }[]> {
  const lines = (await readFile(log, 'utf8')).trim().split('\n').filter(Boolean);
  const runs: { start: number; end: number }[] = [];
  for (const line of lines) {
    const [what, ns] = line.split(' ');
    const ms = Number(ns) / 1e6;
    if (what === 'start') runs.push({ start: ms, end: Number.NaN });
    else if (what === 'end' && runs.length > 0) (runs.at(-1) as { end: number }).end = ms;
  }
  return runs;
}

export async function measureSeed(ctx: BenchContext, gitImage: string): Promise<MethodResult> {
  const node = await cdnNode(ctx.docker, `bench-seed-${ctx.runId}`, '/www/site', ctx.labels);
  const label = Object.entries(ctx.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  await dockerCli([
    'run',
    '--rm',
    ...label,
    '--network',
    'host',
    '--volumes-from',
    node.data,
    gitImage,
    'git',
    'clone',
    '-q',
    originUrl(ctx),
    '/www/site',
  ]);
  const key = `berth-bench/${ctx.runId}/seed`;
  const log = join(ctx.scratch, 'seed-watch.log');
  await writeFile(log, '');
  const command = [
    `echo start $(date +%s%N) >> ${log}`,
    `docker run --rm ${label.join(' ')} --network host --volumes-from ${node.data} ${gitImage} git -C /www/site pull -q`,
    `echo end $(date +%s%N) >> ${log}`,
  ].join('; ');
  const watcher = spawn('etcdctl', ['watch', key, '--', 'sh', '-c', command], {
    env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: ctx.etcdEndpoint },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const samples: Sample[] = [];
  try {
    // etcdctl says nothing when its watch is up: the warm-up updates wait until it runs the command.
    for (let i = 0; i < ctx.warmup + ctx.updates; i++) {
      const update = await oneFileUpdate(ctx.repo, `seed-${i}`);
      takeOriginLoad(ctx);
      const started = performance.now();
      const announcedAt = epochNow();
      unwrap(await announceRevision(ctx.etcd, key, { commit: update.sha }));
      const served = await servedAt(
        node.url,
        update.marker,
        POLL_MS,
        i < ctx.warmup ? 60_000 : 30_000,
      );
      // The `end` stamp follows the container's exit; wait for it (bounded) before reading.
      let runs = await stamps(log);
      for (let tries = 0; tries < 500 && !runs.at(-1)?.end; tries++) {
        await new Promise((r) => setTimeout(r, 10));
        runs = await stamps(log);
      }
      const run = runs.at(-1);
      const origin = takeOriginLoad(ctx);
      if (i >= ctx.warmup && run) {
        samples.push({
          ...(origin && { origin }),
          totalMs: served - started,
          parts: {
            notify: run.start - announcedAt,
            'notify → served': performance.timeOrigin + served - run.start,
            'docker run (start, pull, exit)': run.end - run.start,
          },
        });
      }
    }
  } finally {
    watcher.kill('SIGTERM');
    await new Promise((resolve) =>
      watcher.exitCode !== null ? resolve(undefined) : watcher.once('exit', resolve),
    );
  }
  return { method: "seed's way (etcdctl watch → docker run git pull)", samples };
}
