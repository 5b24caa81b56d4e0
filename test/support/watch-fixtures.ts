// Fixtures for watcher tests: many commits in one git process, watcher nodes on local
// directories, their events recorded, and bounded waits on conditions.
import { randomBytes } from 'node:crypto';
import { readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openGitSource } from '../../packages/core/src/git/source';
import { directoryTarget } from '../../packages/core/src/content/directory-target';
import { connectEtcd, type EtcdConnection } from '../../packages/core/src/coordination/etcd';
import { serviceEnv } from './services';
import { deletePrefix } from '../../packages/core/src/coordination/etcd-kv';
import { defaultStatusPrefix } from '../../packages/core/src/coordination/node-status';
import { watchAndPull } from '../../packages/core/src/coordination/watch-and-pull';
import type {
  WatchAndPullOptions,
  WatchEvent,
  WatchHandle,
} from '../../packages/core/src/coordination/watch-types';
import { git, tempDir } from './git-cli';

const keysMade = new Set<string>();

/** A unique etcd key for one test, under `berth-test/`; {@link forgetKeys} deletes it. */
export function uniqueKey(name: string): string {
  const key = `berth-test/${name}/${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  keysMade.add(key);
  return key;
}

/** Deletes every key made by {@link uniqueKey} in this file, with anything under it or its status prefix. */
export async function forgetKeys(etcd: EtcdConnection): Promise<void> {
  const failures: string[] = [];
  // The test's own connection may have given up on etcd (etcd3's circuit breaker opens after a
  // few failed calls on a busy machine, and stays open a while): a fresh one is asked then.
  let fresh: EtcdConnection | undefined;
  for (const key of keysMade) {
    for (const prefix of [key, defaultStatusPrefix(key), `status-of/${key}`]) {
      // A busy etcd may time out once: ask again before calling it a failure.
      let deleted = await deletePrefix(etcd, prefix, { timeoutMs: 10_000 });
      if (deleted.isErr()) {
        fresh ??= (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] })).unwrapOr(
          undefined,
        );
        if (fresh) deleted = await deletePrefix(fresh, prefix, { timeoutMs: 10_000 });
      }
      if (deleted.isErr()) failures.push(`${prefix}: ${deleted.error.message}`);
    }
  }
  fresh?.close();
  keysMade.clear();
  if (failures.length > 0) throw new Error(`could not delete test keys: ${failures.join('; ')}`);
}

/**
 * Adds `count` commits on `main` of the bare repository in one `git fast-import`, commit `i`
 * changing the files `files(i)` gives; resolves their SHAs in order.
 */
export async function commitSeries(
  gitDir: string,
  count: number,
  files: (i: number) => Readonly<Record<string, string>>,
): Promise<string[]> {
  const scratch = await tempDir('berth-marks');
  try {
    const marks = join(scratch.dir, 'marks');
    const now = Math.floor(Date.now() / 1000);
    const parts: Buffer[] = [];
    const line = (text: string) => parts.push(Buffer.from(`${text}\n`));
    const data = (text: string) => {
      const bytes = Buffer.from(text);
      parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
    };
    let parent: string | undefined;
    try {
      parent = await git(['rev-parse', '--verify', '-q', 'refs/heads/main^{commit}'], { gitDir });
    } catch {
      parent = undefined;
    }
    for (let i = 0; i < count; i++) {
      line('commit refs/heads/main');
      line(`mark :${i + 1}`);
      line(`committer berth test <test@berth.invalid> ${now} +0000`);
      data(`commit ${i}`);
      if (i === 0 && parent) line(`from ${parent}`);
      for (const [path, content] of Object.entries(files(i))) {
        line(`M 100644 inline ${path}`);
        data(content);
      }
    }
    line('done');
    await git(['fast-import', '--quiet', '--done', `--export-marks=${marks}`], {
      gitDir,
      input: Buffer.concat(parts),
    });
    const bySha = new Map(
      (await readFile(marks, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    return Array.from({ length: count }, (_, i) => bySha.get(`:${i + 1}`) ?? '');
  } finally {
    await scratch.cleanup();
  }
}

/** Waits until `condition` holds, polling; throws with `what` after `timeoutMs`. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every event of a watcher from now on, in an array the test can look at. */
export function recordEvents(handle: WatchHandle): WatchEvent[] {
  const events: WatchEvent[] = [];
  void (async () => {
    for await (const event of handle.events) events.push(event);
  })();
  return events;
}

export const ofType = <T extends WatchEvent['type']>(events: readonly WatchEvent[], type: T) =>
  events.filter((e): e is Extract<WatchEvent, { type: T }> => e.type === type);

/** The commit a directory target serves (`current`'s release), or undefined. */
export async function servedCommit(dir: string): Promise<string | undefined> {
  try {
    return (await readlink(join(dir, 'current'))).split('/').pop();
  } catch {
    return undefined;
  }
}

export interface DirectoryNode {
  readonly handle: WatchHandle;
  readonly events: WatchEvent[];
  readonly dir: string;
  served(): Promise<string | undefined>;
  /** Stops the watcher and removes its directory and cache. */
  dispose(): Promise<void>;
}

/** A watcher publishing `subdir` of the repository into a fresh local directory. */
export async function directoryNode(
  options: Omit<WatchAndPullOptions, 'source' | 'targets'> & {
    readonly url: string;
    readonly etcd: EtcdConnection;
    readonly subdir?: string;
    readonly dir?: string;
  },
): Promise<DirectoryNode> {
  const work = await tempDir('berth-watch-node');
  const dir = options.dir ?? join(work.dir, 'www');
  const source = openGitSource({ url: options.url, cacheDir: join(work.dir, 'cache') });
  const { url: _url, subdir, dir: _dir, ...rest } = options;
  const watching = source.andThen((opened) =>
    watchAndPull({
      ...rest,
      source: opened,
      targets: [{ target: directoryTarget(dir), ...(subdir !== undefined && { subdir }) }],
    }),
  );
  if (watching.isErr()) {
    await work.cleanup();
    throw new Error(watching.error.message);
  }
  const handle = watching.value;
  const events = recordEvents(handle);
  return {
    handle,
    events,
    dir,
    served: () => servedCommit(dir),
    dispose: async () => {
      await handle.stop();
      await rm(work.dir, { recursive: true, force: true });
    },
  };
}
