/**
 * Checks of a release directory against its manifest. The cheap one (run on every publish of
 * the active commit) reads the manifest and `lstat`s every file and directory it implies; the
 * full one walks the directory without following anything, so it also finds extra files, and
 * re-hashes every file against its blob id.
 */
import { lstatSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { join } from 'node:path';
import { isNotFound } from '../util/fs-errors';
import { readNoFollow } from './directory-fs';
import {
  MANIFEST_SUFFIX,
  blobId,
  directoriesOf,
  entryProblems,
  parseManifest,
  treeIdOf,
  type FoundFile,
  type ReleaseCheck,
  type ReleaseManifest,
} from './release-manifest';

/**
 * lstat calls made in one go before the event loop gets a turn. The cheap check runs on every
 * publish of the active commit: synchronous lstat of a cached inode costs a few microseconds,
 * the promise API's round trip through libuv's threads several times that (10,000 files: ≈ 45 ms
 * against ≈ 130 ms here), so the check stats synchronously, a chunk at a time (≈ 5 ms), and
 * yields between chunks so a big site never holds the loop for long.
 */
const STAT_CHUNK = 1024;

const orUndefined = <T>(promise: Promise<T>): Promise<T | undefined> =>
  promise.catch((cause: unknown) => {
    if (isNotFound(cause) || (cause as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw cause;
  });

async function found(path: string): Promise<FoundFile | undefined> {
  return describe(await orUndefined(lstat(path)));
}

/** `found` without the promise round trip, for the cheap check's many files. */
function foundNow(path: string): FoundFile | undefined {
  try {
    return describe(lstatSync(path, { throwIfNoEntry: false }));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw cause;
  }
}

function describe(stat: Stats | undefined): FoundFile | undefined {
  if (!stat) return undefined;
  return {
    kind: stat.isFile()
      ? 'file'
      : stat.isSymbolicLink()
        ? 'symlink'
        : stat.isDirectory()
          ? 'directory'
          : 'other',
    size: stat.size,
    executable: (stat.mode & 0o111) !== 0,
  };
}

/** The manifest of `commit` in `releases`, or why there is none. */
export async function readManifest(
  releases: string,
  commit: string,
): Promise<ReleaseManifest | string> {
  const text = await orUndefined(readFile(join(releases, `${commit}${MANIFEST_SUFFIX}`), 'utf8'));
  if (text === undefined) return 'missing manifest';
  return parseManifest(text, commit);
}

const failed = (commit: string, depth: ReleaseCheck['depth'], problems: string[]) => ({
  commit,
  verified: false,
  depth,
  problems,
  files: 0,
});

export async function checkDirectoryRelease(
  releases: string,
  commit: string,
  full: boolean,
): Promise<ReleaseCheck> {
  const depth = full ? 'full' : 'cheap';
  const root = join(releases, commit);
  const top = await found(root);
  if (!top) return failed(commit, depth, ['missing release directory']);
  if (top.kind !== 'directory') return failed(commit, depth, [`the release is a ${top.kind}`]);
  const manifest = await readManifest(releases, commit);
  if (typeof manifest === 'string') return failed(commit, depth, [manifest]);
  const problems = full ? await fullProblems(root, manifest) : await cheapProblems(root, manifest);
  return {
    commit,
    verified: problems.length === 0,
    depth,
    problems,
    files: manifest.entries.length,
    manifest,
  };
}

async function cheapProblems(root: string, manifest: ReleaseManifest): Promise<string[]> {
  const problems: string[] = [];
  const dirs = [...directoriesOf(manifest)];
  for (let i = 0; i < dirs.length; i += STAT_CHUNK) {
    if (i > 0) await nextTurn();
    for (const d of dirs.slice(i, i + STAT_CHUNK)) {
      if (foundNow(join(root, d))?.kind !== 'directory') problems.push(`${d}/: not a directory`);
    }
  }
  // A directory replaced by a symlink would let the files' lstat look through it.
  if (problems.length > 0) return problems;
  const entries = manifest.entries;
  for (let i = 0; i < entries.length; i += STAT_CHUNK) {
    if (i > 0) await nextTurn();
    for (const entry of entries.slice(i, i + STAT_CHUNK)) {
      problems.push(...entryProblems(entry, foundNow(join(root, entry.path))));
    }
  }
  return problems;
}

/** Every non-directory under `root`, by relative path, without following symlinks. */
async function walk(
  root: string,
  prefix = '',
  out = new Map<string, 'file' | 'symlink' | 'other'>(),
) {
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(root, rel, out);
    else out.set(rel, entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'symlink' : 'other');
  }
  return out;
}

async function fullProblems(root: string, manifest: ReleaseManifest): Promise<string[]> {
  const problems = await cheapProblems(root, manifest);
  const onDisk = await walk(root);
  const listed = new Set(manifest.entries.map((e) => e.path));
  for (const path of onDisk.keys())
    if (!listed.has(path)) problems.push(`${path}: not in the tree`);
  for (const entry of manifest.entries) {
    const kind = onDisk.get(entry.path);
    if (kind === undefined || kind === 'other') continue;
    const full = join(root, entry.path);
    const content =
      kind === 'symlink' ? Buffer.from(await readlink(full), 'utf8') : await readNoFollow(full);
    const oid = blobId(content, manifest.commit);
    if (oid !== entry.oid) problems.push(`${entry.path}: content ${oid}, expected ${entry.oid}`);
  }
  if (treeIdOf(manifest.entries, manifest.commit) !== manifest.tree)
    problems.push(`the manifest's entries do not make its tree ${manifest.tree}`);
  return [...new Set(problems)];
}
