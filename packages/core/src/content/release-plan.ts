import type { TreeEntry } from './tree-safety';

/** What changed between the active release's tree and the new one, by path. */
export interface ReleasePlan {
  /** Files (blobs and symlinks) to send: everything when there is no base. */
  readonly send: readonly TreeEntry[];
  readonly added: readonly string[];
  readonly modified: readonly string[];
  /** Files and directories of the base that the new tree does not have. */
  readonly deleted: readonly string[];
}

const isFile = (e: TreeEntry) =>
  e.type === 'blob' && (e.mode === '120000' || e.mode.startsWith('100'));

/** Only the entries under `subdir/`, with that prefix taken off; the whole tree when subdir is empty. */
export function subtree(entries: readonly TreeEntry[], subdir: string): TreeEntry[] {
  const prefix = subdir.replace(/^\/+|\/+$/g, '');
  if (prefix === '') return [...entries];
  const start = `${prefix}/`;
  return entries
    .filter((e) => e.path.startsWith(start))
    .map((e) => ({ ...e, path: e.path.slice(start.length) }));
}

function directoriesOf(files: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const path of files) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

/**
 * Compares two trees' files by path, oid and mode. A path that stays but changes oid, mode or
 * kind (file ↔ symlink) is modified; a directory that disappears is deleted as a whole, so an
 * emptied directory does not linger in the release.
 */
export function planRelease(
  base: readonly TreeEntry[] | undefined,
  next: readonly TreeEntry[],
): ReleasePlan {
  const nextFiles = next.filter(isFile);
  if (!base) {
    return { send: nextFiles, added: nextFiles.map((e) => e.path), modified: [], deleted: [] };
  }
  const before = new Map(base.filter(isFile).map((e) => [e.path, e]));
  const send: TreeEntry[] = [];
  const added: string[] = [];
  const modified: string[] = [];
  for (const entry of nextFiles) {
    const old = before.get(entry.path);
    if (!old) {
      added.push(entry.path);
      send.push(entry);
    } else if (old.oid !== entry.oid || old.mode !== entry.mode) {
      modified.push(entry.path);
      send.push(entry);
    }
  }
  const nextPaths = new Set(nextFiles.map((e) => e.path));
  const nextDirs = directoriesOf(nextPaths);
  // Includes a directory that became a file: it must go before the file can take its path.
  const goneDirs = [...directoriesOf(before.keys())].filter((d) => !nextDirs.has(d));
  // A gone directory takes its files with it: list the topmost one only.
  const topGone = goneDirs.filter((d) => !goneDirs.some((o) => d.startsWith(`${o}/`)));
  const underGone = (p: string) => topGone.some((d) => p.startsWith(`${d}/`));
  const deleted = [
    ...topGone,
    ...[...before.keys()].filter((p) => !nextPaths.has(p) && !underGone(p) && !nextDirs.has(p)),
  ];
  // A file that became a directory: the file is deleted, its path is reused by the directory.
  for (const p of before.keys()) if (nextDirs.has(p)) deleted.push(p);
  return { send, added, modified, deleted: [...new Set(deleted)].sort() };
}
