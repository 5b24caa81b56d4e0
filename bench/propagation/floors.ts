// The floors under every method: fetching the same one-file update with bare isomorphic-git
// (what berth's fetch is built on) and with `git pull` on the host.
import * as fs from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { git as gitCli } from '../../test/support/git-cli.ts';
import type { BenchContext, Update } from './context.ts';
import { originUrl, takeOriginLoad } from './origin.ts';
import type { MethodResult, Sample } from './samples.ts';

export interface Floors {
  /** Times both floors on the update just served (untimed for the method around it). */
  readonly measure: (update: Update) => Promise<void>;
  readonly results: () => MethodResult[];
}

/** An empty bare repository whose origin is the bench's repository. */
async function bareRepo(ctx: BenchContext, gitdir: string): Promise<void> {
  await git.init({ fs, gitdir, bare: true });
  await git.addRemote({ fs, gitdir, remote: 'origin', url: originUrl(ctx) });
}

// Node's global agent gives every socket a 5 s timeout, which isomorphic-git's client turns into
// "Request timed out" when many fetches at once queue at the git server (30 on 2 cores do): the
// floors get their own agent, as berth's fetch does (packages/core/src/git/http.ts).
const agent = new Agent({ keepAlive: true });
const http: HttpClient = { request: (request) => nodeHttp.request({ ...request, agent }) };

/** The fetch a bare isomorphic-git user would make: main, one commit deep. */
function bareFetch(ctx: BenchContext, gitdir: string) {
  return git.fetch({
    fs,
    http,
    gitdir,
    url: originUrl(ctx),
    ref: 'main',
    singleBranch: true,
    depth: 1,
    tags: false,
  });
}

export async function startFloors(ctx: BenchContext): Promise<Floors> {
  const gitdir = await mkdtemp(join(ctx.scratch, 'floor-isogit-'));
  const clone = join(await mkdtemp(join(ctx.scratch, 'floor-pull-')), 'site');
  await bareRepo(ctx, gitdir);
  const fetchOnce = () => bareFetch(ctx, gitdir);
  await fetchOnce();
  await gitCli(['clone', '-q', originUrl(ctx), clone]);
  const fetches: Sample[] = [];
  const pulls: Sample[] = [];
  let seen = 0;
  return {
    measure: async (update) => {
      if (seen++ < ctx.warmup) {
        await fetchOnce();
        await gitCli(['-C', clone, 'pull', '-q']);
        return;
      }
      takeOriginLoad(ctx);
      let started = performance.now();
      const fetched = await fetchOnce();
      const fetchMs = performance.now() - started;
      const fetchLoad = takeOriginLoad(ctx);
      fetches.push({ totalMs: fetchMs, parts: {}, ...(fetchLoad && { origin: fetchLoad }) });
      if (fetched.fetchHead !== update.sha)
        throw new Error(`floor fetched ${fetched.fetchHead}, not ${update.sha}`);
      started = performance.now();
      await gitCli(['-C', clone, 'pull', '-q']);
      const pullMs = performance.now() - started;
      const pullLoad = takeOriginLoad(ctx);
      pulls.push({ totalMs: pullMs, parts: {}, ...(pullLoad && { origin: pullLoad }) });
    },
    results: () => [
      { method: 'floor: bare isomorphic-git fetch', samples: fetches },
      { method: 'floor: git pull on the host', samples: pulls },
    ],
  };
}

/**
 * The fleet's floor: `size` bare isomorphic-git fetches of the same update at once, each into its
 * own repository, as `size` nodes would — with no berth at all. What it takes on this machine
 * bounds what any fleet of `size` nodes fetching from this git server can do.
 */
export async function startConcurrentFetchFloor(ctx: BenchContext, size: number) {
  const gitdirs: string[] = [];
  for (let i = 0; i < size; i++) {
    const gitdir = await mkdtemp(join(ctx.scratch, 'floor-fleet-'));
    await bareRepo(ctx, gitdir);
    gitdirs.push(gitdir);
  }
  const fetchInto = (gitdir: string) => bareFetch(ctx, gitdir);
  await Promise.all(gitdirs.map(fetchInto));
  const samples: Sample[] = [];
  let seen = 0;
  return {
    measure: async (update: Update) => {
      takeOriginLoad(ctx);
      const started = performance.now();
      const fetched = await Promise.all(gitdirs.map(fetchInto));
      const ms = performance.now() - started;
      const origin = takeOriginLoad(ctx);
      if (fetched.some((f) => f.fetchHead !== update.sha))
        throw new Error(`a fleet floor fetch did not get ${update.sha}`);
      if (seen++ >= ctx.warmup) samples.push({ totalMs: ms, parts: {}, ...(origin && { origin }) });
    },
    results: (): MethodResult[] => [
      { method: `floor: ${size} bare isomorphic-git fetches at once (last)`, samples },
    ],
  };
}
