/**
 * The cache directory of one repository: a bare repository plus a marker file naming the URL,
 * so berth only ever wipes a directory it made itself.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { describeCause } from '../errors';
import { initBareRepo } from './client';
import { berthError, type GitFetchError } from '../errors';
import { bumpDirGeneration } from './lock';

const MARKER = 'berth-git-cache.json';

/** `<tmpdir>/berth-git-cache/<sha256 of the url>`. */
export function defaultCacheDir(url: string): string {
  return join(tmpdir(), 'berth-git-cache', createHash('sha256').update(url).digest('hex'));
}

type CacheState =
  | { readonly kind: 'ours'; readonly url: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'foreign' };

async function inspect(dir: string): Promise<CacheState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ENOENT') return { kind: 'empty' };
    throw cause;
  }
  if (names.length === 0) return { kind: 'empty' };
  if (!names.includes(MARKER)) return { kind: 'foreign' };
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { url?: unknown };
    return typeof marker.url === 'string'
      ? { kind: 'ours', url: marker.url }
      : { kind: 'ours', url: '' };
  } catch {
    return { kind: 'ours', url: '' };
  }
}

function failure(url: string, dir: string, what: string, cause?: unknown): GitFetchError {
  return berthError.gitFetch({
    url,
    reason: 'cache',
    message: `git cache ${dir}: ${what}${cause === undefined ? '' : `: ${describeCause(cause)}`}`,
    cause,
  });
}

function create(url: string, dir: string): ResultAsync<void, GitFetchError> {
  return ResultAsync.fromPromise(mkdir(dir, { recursive: true }), (cause) =>
    failure(url, dir, 'cannot create the directory', cause),
  )
    .andThen(() => initBareRepo(url, dir))
    .andThen(() =>
      ResultAsync.fromPromise(
        writeFile(join(dir, MARKER), JSON.stringify({ url }) + '\n'),
        (cause) => failure(url, dir, 'cannot write its marker', cause),
      ),
    );
}

/**
 * Empties a cache directory berth made and initialises it again. Call it holding the directory's
 * lock exclusively: every in-memory view of the directory is told to forget what it knew.
 */
export function resetCache(url: string, dir: string): ResultAsync<void, GitFetchError> {
  bumpDirGeneration(dir);
  // Moved aside first: a reader in another process keeps the packs it has open, and no one
  // sees a half-removed directory.
  const aside = `${dir}.discarded-${process.pid}-${Date.now()}`;
  return ResultAsync.fromPromise(
    rename(dir, aside).then(
      () => rm(aside, { recursive: true, force: true }),
      (cause: unknown) => {
        if ((cause as { code?: unknown }).code !== 'ENOENT') throw cause;
      },
    ),
    (cause) => failure(url, dir, 'cannot remove it', cause),
  ).andThen(() => create(url, dir));
}

/**
 * Makes sure `dir` is a cache of `url`: creates it if missing or empty, starts it again if it
 * caches another URL, and refuses a non-empty directory that berth did not make.
 * Resolves `true` when the directory was (re)created empty.
 */
export function prepareCache(url: string, dir: string): ResultAsync<boolean, GitFetchError> {
  return ResultAsync.fromPromise(inspect(dir), (cause) =>
    failure(url, dir, 'cannot read it', cause),
  ).andThen((state) => {
    switch (state.kind) {
      case 'empty':
        return create(url, dir).map(() => true);
      case 'foreign':
        return errAsync(
          failure(url, dir, `it is not empty and has no ${MARKER}: berth will not write into it`),
        );
      case 'ours':
        return state.url === url ? okAsync(false) : resetCache(url, dir).map(() => true);
    }
  });
}
