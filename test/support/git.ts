// Bare repositories on the project's git server, and commits in them, for tests: ordinary ones
// through `git fast-import`, hostile ones (names porcelain git refuses) through `git mktree`.
// Every git runs as an async child process: isomorphic-git in the same process must keep running.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { git, tempDir, withCredentials } from './git-cli';
import { serviceEnv } from './services';

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface BareRepo {
  readonly name: string;
  /** Served at this URL; a private one needs `gitUser`/`gitPassword` (see {@link withCredentials}). */
  readonly url: string;
  /** The bare repository on disk, under the server's root. */
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** A new, empty bare repository on the git server (under `private/` when `private`). */
export async function createBareRepo(
  name: string,
  options: { private?: boolean } = {},
): Promise<BareRepo> {
  const env = serviceEnv();
  const unique = uniqueName(name);
  const relative = options.private ? `private/${unique}.git` : `${unique}.git`;
  const dir = join(env.gitRoot, relative);
  await git(['init', '-q', '--bare', '-b', 'main', dir]);
  return {
    name: unique,
    url: `${env.gitBaseUrl}/${relative}`,
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Creates repositories and temporary directories for one test file and removes them all after
 * it, passed or failed.
 */
export function useGitFixtures() {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  return {
    async repo(name: string, options: { private?: boolean } = {}): Promise<BareRepo> {
      const repo = await createBareRepo(name, options);
      cleanups.push(repo.cleanup);
      return repo;
    },
    async dir(prefix: string): Promise<string> {
      const made = await tempDir(prefix);
      cleanups.push(made.cleanup);
      return made.dir;
    },
  };
}

export { git, tempDir, withCredentials, type GitRunOptions } from './git-cli';
export {
  commitFiles,
  commitRawTree,
  writeRawTree,
  type CommitOptions,
  type FileSpec,
  type RawEntry,
} from './git-commits';

/** A working clone of `url` (credentials added for `private/` URLs) for porcelain git: commit, `push --force`. */
export async function workClone(url: string): Promise<{
  dir: string;
  run(args: readonly string[]): Promise<string>;
  cleanup(): Promise<void>;
}> {
  const scratch = await tempDir('berth-git-work');
  const remote = url.includes('/private/') ? withCredentials(url) : url;
  await git(['clone', '-q', remote, scratch.dir]);
  return {
    dir: scratch.dir,
    run: (args) => git(args, { cwd: scratch.dir }),
    cleanup: scratch.cleanup,
  };
}
