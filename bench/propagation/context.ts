// What every method of the propagation bench shares: the engine, etcd, the repository and the
// one-file updates pushed to it.
import { randomBytes } from 'node:crypto';
import type { DockerConnection, EtcdConnection } from '@berth/core';
import { commitFiles, type BareRepo } from '../../test/support/git.ts';
import type { GitRequestCounter } from '../../test/support/git-request-counter.ts';

export interface Update {
  readonly sha: string;
  /** A string only this update's index.html holds. */
  readonly marker: string;
}

export interface BenchContext {
  readonly docker: DockerConnection;
  readonly etcd: EtcdConnection;
  readonly etcdEndpoint: string;
  readonly runId: string;
  /** `io.berth.test-run=<runId>` on everything made. */
  readonly labels: Readonly<Record<string, string>>;
  readonly repo: BareRepo;
  /** The counting proxy in front of the git server; methods reach `repo` through it when set. */
  readonly origin?: GitRequestCounter;
  /** A directory for caches and clones, removed at the end. */
  readonly scratch: string;
  readonly updates: number;
  readonly warmup: number;
}

/** The site every method serves: index.html and a few other files. */
export function initialSite(): Record<string, string> {
  const files: Record<string, string> = { 'index.html': '<h1>start</h1>\n' };
  for (let i = 0; i < 20; i++)
    files[`pages/page-${i}.html`] = `<p>page ${i} ${randomBytes(256).toString('hex')}</p>\n`;
  return files;
}

/** Pushes a commit that changes index.html only. */
export async function oneFileUpdate(repo: BareRepo, label: string): Promise<Update> {
  const marker = `${label}-${randomBytes(6).toString('hex')}`;
  const sha = await commitFiles(
    repo,
    { 'index.html': `<h1>${marker}</h1>\n` },
    { message: marker },
  );
  return { sha, marker };
}

/** The current time on the same clock as the watcher's `receivedAt` (epoch ms, fractional). */
export const epochNow = (): number => performance.timeOrigin + performance.now();
