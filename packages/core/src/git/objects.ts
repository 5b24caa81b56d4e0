/**
 * Git's object formats, parsed from raw bytes. Tree entries are taken as stored: a name such as
 * `..` or `.git` comes through intact (isomorphic-git's own tree reader refuses some of them;
 * judging names is the tree archive's job, not the reader's).
 */

/** The four kinds of git object. */
export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** An object's kind and its content, without git's `<type> <size>\0` header. */
export interface RawObject {
  readonly type: GitObjectType;
  readonly content: Uint8Array;
}

/** How a tree entry is stored; git writes directories as `40000`, reported here as `040000`. */
export type TreeEntryMode = '100644' | '100755' | '120000' | '040000' | '160000';

/** What an entry's object is: a file or symlink (`blob`), a directory, or a submodule commit. */
export type TreeEntryType = 'blob' | 'tree' | 'commit';

/** One entry of one tree object. */
export interface RawTreeEntry {
  /** The name as stored (UTF-8 decoded), never normalised. */
  readonly name: string;
  readonly mode: TreeEntryMode;
  readonly type: TreeEntryType;
  readonly oid: string;
}

const utf8 = new TextDecoder('utf-8');

/** git's own canonicalisation of a mode (`canon_mode`): any regular file is 644 or 755. */
function canonicalMode(octal: string): { mode: TreeEntryMode; type: TreeEntryType } | undefined {
  if (!/^[0-7]{1,6}$/.test(octal)) return undefined;
  const value = parseInt(octal, 8);
  switch (value & 0o170000) {
    case 0o040000:
      return { mode: '040000', type: 'tree' };
    case 0o120000:
      return { mode: '120000', type: 'blob' };
    case 0o160000:
      return { mode: '160000', type: 'commit' };
    case 0o100000:
      return { mode: value & 0o100 ? '100755' : '100644', type: 'blob' };
    default:
      return undefined;
  }
}

/** The entries of a tree object in stored order, or a description of what is malformed. */
export function parseTree(content: Uint8Array): RawTreeEntry[] | string {
  const entries: RawTreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    if (space < 0) return `entry at byte ${at} has no mode`;
    const nul = content.indexOf(0, space + 1);
    if (nul < 0 || nul + 21 > content.length) return `entry at byte ${at} is truncated`;
    const octal = utf8.decode(content.subarray(at, space));
    const kind = canonicalMode(octal);
    if (!kind) return `entry at byte ${at} has an unknown mode "${octal}"`;
    entries.push({
      name: utf8.decode(content.subarray(space + 1, nul)),
      ...kind,
      oid: Buffer.from(content.subarray(nul + 1, nul + 21)).toString('hex'),
    });
    at = nul + 21;
  }
  return entries;
}

/** The header lines of a commit or tag object (up to the first blank line), by key. */
function headers(content: Uint8Array): Map<string, string[]> {
  const text = utf8.decode(content);
  const end = text.indexOf('\n\n');
  const map = new Map<string, string[]>();
  for (const line of (end < 0 ? text : text.slice(0, end)).split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of a multi-line header (gpgsig)
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    map.set(key, [...(map.get(key) ?? []), line.slice(space + 1)]);
  }
  return map;
}

const OID = /^[0-9a-f]{40}$/;

/** A commit's root tree and parents, or a description of what is malformed. */
export function parseCommit(
  content: Uint8Array,
): { readonly tree: string; readonly parents: readonly string[] } | string {
  const map = headers(content);
  const tree = map.get('tree')?.[0];
  if (!tree || !OID.test(tree)) return 'commit has no valid tree line';
  const parents = map.get('parent') ?? [];
  if (!parents.every((p) => OID.test(p))) return 'commit has an invalid parent line';
  return { tree, parents };
}

/** What an annotated tag points at, or a description of what is malformed. */
export function parseTag(content: Uint8Array): { readonly object: string } | string {
  const object = headers(content).get('object')?.[0];
  if (!object || !OID.test(object)) return 'tag has no valid object line';
  return { object };
}
