// Git sources for tests: each on its own cache directory (removed with the file's fixtures),
// a repository with some history, and a logger that records instead of printing.
import { vi } from 'vitest';
import type { GitLogger } from '../../packages/core/src/git/logger';
import {
  openGitSource,
  type GitSource,
  type GitSourceOptions,
} from '../../packages/core/src/git/source';
import { commitFiles, type useGitFixtures } from './git';

type Fixtures = ReturnType<typeof useGitFixtures>;

/** A logger whose every method is a `vi.fn()`. */
export function recordingLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies GitLogger;
}

/** A git source on a fresh cache directory of the fixtures (unless `cacheDir` is given). */
export async function openTestSource(
  fixtures: Fixtures,
  options: Partial<GitSourceOptions> & { url: string },
): Promise<GitSource> {
  const cacheDir = options.cacheDir ?? (await fixtures.dir('berth-git-cache'));
  const opened = openGitSource({ ...options, cacheDir });
  if (opened.isErr()) throw new Error(opened.error.message);
  return opened.value;
}

/** A repository with three commits on main: `first` (the root), `second`, `tip`. */
export async function repoWithHistory(fixtures: Fixtures, name: string) {
  const repo = await fixtures.repo(name);
  const first = await commitFiles(repo, { 'index.html': 'one\n', 'css/site.css': 'a{}\n' });
  const second = await commitFiles(repo, { 'index.html': 'two\n' });
  const tip = await commitFiles(repo, { 'about.html': 'about\n' });
  return { repo, first, second, tip };
}
