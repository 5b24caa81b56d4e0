/**
 * What makes a release directory a release: a manifest, written last (after every file of the
 * release is in place), naming the commit, the id of the tree it holds and every file's path,
 * mode, size and blob id. A directory at a release path without a manifest that parses and names
 * its commit is stale staging, never activated. The manifest lives beside the release
 * (`.berth/releases/<sha>.manifest`), outside the tree a web server serves.
 */
import { createHash } from 'node:crypto';

export type ManifestMode = '100644' | '100755' | '120000';

export interface ManifestEntry {
  readonly path: string;
  readonly mode: ManifestMode;
  /** Bytes of content; for a symlink, of its target (what `lstat` says). */
  readonly size: number;
  /** The git blob id of the content (of the target, for a symlink). */
  readonly oid: string;
}

export interface ReleaseManifest {
  readonly version: 1;
  readonly commit: string;
  /** The git tree id of the published files (the commit's tree, or the published folder's). */
  readonly tree: string;
  readonly entries: readonly ManifestEntry[];
}

/** What a check of a release found: `verified` only when nothing is wrong. */
export interface ReleaseCheck {
  readonly commit: string;
  readonly verified: boolean;
  /** `cheap`: the manifest and each file's size and mode; `full`: every file re-hashed too. */
  readonly depth: 'cheap' | 'full';
  /** Each thing wrong, e.g. `missing manifest`, `index.html: size 3, expected 5`. */
  readonly problems: readonly string[];
  readonly files: number;
  readonly manifest?: ReleaseManifest;
}

export const MANIFEST_SUFFIX = '.manifest';

const hashOf = (commitOrOid: string) => (commitOrOid.length === 64 ? 'sha256' : 'sha1');

/** The git blob id of `content`, in the hash the repository uses (told by the commit's length). */
export function blobId(content: Buffer, like: string): string {
  return createHash(hashOf(like)).update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** A streaming git blob hash, for files read in chunks. */
export function blobHasher(size: number, like: string) {
  const hash = createHash(hashOf(like)).update(`blob ${size}\0`);
  return { update: (chunk: Buffer) => void hash.update(chunk), digest: () => hash.digest('hex') };
}

interface Dir {
  readonly files: Map<string, { mode: string; oid: string }>;
  readonly dirs: Map<string, Dir>;
}

/**
 * The git tree id of a set of files, built the way git builds trees (names sorted as bytes, a
 * directory's name compared as `name/`), so it equals the commit's own tree id for the same files.
 */
export function treeIdOf(
  entries: readonly { path: string; mode: string; oid: string }[],
  like: string,
): string {
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const entry of entries) {
    const parts = entry.path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { files: new Map(), dirs: new Map() };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    dir.files.set(parts[parts.length - 1] ?? '', { mode: entry.mode, oid: entry.oid });
  }
  const hashTree = (dir: Dir): string => {
    const items = [
      ...[...dir.files].map(([name, f]) => ({ key: name, name, mode: f.mode, oid: f.oid })),
      ...[...dir.dirs].map(([name, d]) => ({
        key: `${name}/`,
        name,
        mode: '40000',
        oid: hashTree(d),
      })),
    ].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const body = Buffer.concat(
      items.flatMap((i) => [Buffer.from(`${i.mode} ${i.name}\0`), Buffer.from(i.oid, 'hex')]),
    );
    return createHash(hashOf(like)).update(`tree ${body.length}\0`).update(body).digest('hex');
  };
  return hashTree(root);
}

export function serializeManifest(manifest: ReleaseManifest): string {
  return `${JSON.stringify(manifest)}\n`;
}

const isMode = (m: unknown): m is ManifestMode =>
  m === '100644' || m === '100755' || m === '120000';

/** The manifest in `text`, if it is one for `commit`; else why not. */
export function parseManifest(text: string, commit: string): ReleaseManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the manifest is not valid JSON';
  }
  const m = value as Partial<ReleaseManifest> | null;
  if (!m || m.version !== 1 || typeof m.tree !== 'string' || !Array.isArray(m.entries))
    return 'the manifest is malformed';
  if (m.commit !== commit) return `the manifest names commit ${String(m.commit)}`;
  for (const e of m.entries as unknown[]) {
    const entry = e as Partial<ManifestEntry> | null;
    if (
      !entry ||
      typeof entry.path !== 'string' ||
      !isMode(entry.mode) ||
      typeof entry.size !== 'number' ||
      typeof entry.oid !== 'string'
    )
      return 'the manifest has a malformed entry';
  }
  return m as ReleaseManifest;
}

/** The manifest of a release made of `entries`, its tree id computed from them. */
export function manifestOf(commit: string, entries: readonly ManifestEntry[]): ReleaseManifest {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { version: 1, commit, tree: treeIdOf(sorted, commit), entries: sorted };
}

/** What `lstat` (or `stat -c`) says of one file of a release. */
export interface FoundFile {
  readonly kind: 'file' | 'symlink' | 'directory' | 'other';
  readonly size: number;
  readonly executable: boolean;
}

/** The problems of one manifest entry against what is on disk (none when they agree). */
export function entryProblems(entry: ManifestEntry, found: FoundFile | undefined): string[] {
  if (!found) return [`${entry.path}: missing`];
  const wanted = entry.mode === '120000' ? 'symlink' : 'file';
  if (found.kind !== wanted) return [`${entry.path}: a ${found.kind}, expected a ${wanted}`];
  const problems: string[] = [];
  if (found.size !== entry.size)
    problems.push(`${entry.path}: size ${found.size}, expected ${entry.size}`);
  if (wanted === 'file' && found.executable !== (entry.mode === '100755'))
    problems.push(
      `${entry.path}: mode ${found.executable ? '755' : '644'}, expected ${entry.mode}`,
    );
  return problems;
}

/** Every directory the manifest's files imply (each parent of each file). */
export function directoriesOf(manifest: ReleaseManifest): Set<string> {
  const dirs = new Set<string>();
  for (const { path } of manifest.entries) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}
