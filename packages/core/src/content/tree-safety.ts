/**
 * Whether a commit's tree may be published. A release directory must contain only what the
 * tree says and nothing may point out of it: git's object store accepts entries named `..`
 * or `.git`, and symlinks to anywhere, even where porcelain git refuses to make them.
 */

/** One entry of a tree, as read from the object store (paths exactly as stored). */
export interface TreeEntry {
  readonly path: string;
  /** `100644`, `100755`, `120000` (symlink), `040000` (tree) or `160000` (gitlink). */
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly oid: string;
}

export type UnsafeReason =
  | 'absolute-path'
  | 'dot-segment'
  | 'empty-segment'
  | 'git-directory'
  | 'symlink-absolute'
  | 'symlink-escapes'
  | 'symlink-loop'
  | 'unsupported-mode';

export interface UnsafePath {
  readonly path: string;
  readonly reason: UnsafeReason;
  readonly detail?: string;
}

export interface TreeVerdict {
  /** Every offending path: publishing refuses the tree as a whole when there is any. */
  readonly unsafe: readonly UnsafePath[];
  /** Gitlinks (submodules): reported, never followed, not published. */
  readonly gitlinks: readonly { readonly path: string; readonly commit: string }[];
}

const MAX_LINK_HOPS = 40;

function pathProblem(path: string): UnsafePath | undefined {
  if (path.startsWith('/')) return { path, reason: 'absolute-path' };
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') return { path, reason: 'empty-segment' };
    if (segment === '.' || segment === '..') return { path, reason: 'dot-segment' };
    if (segment.toLowerCase() === '.git') return { path, reason: 'git-directory' };
  }
  return undefined;
}

/**
 * Follows `linkPath`'s target through the tree's other symlinks, the way the kernel would
 * inside the release directory. Returns why it leaves the directory, or undefined when it stays.
 */
function escapes(
  linkPath: string,
  targets: ReadonlyMap<string, string>,
): { reason: UnsafeReason; detail: string } | undefined {
  const first = targets.get(linkPath) ?? '';
  if (first.startsWith('/')) return { reason: 'symlink-absolute', detail: first };
  // Resolution starts in the link's own directory.
  const stack = linkPath.split('/').slice(0, -1);
  let pending = first.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift() ?? '';
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (stack.length === 0) return { reason: 'symlink-escapes', detail: first };
      stack.pop();
      continue;
    }
    const here = [...stack, segment].join('/');
    const target = targets.get(here);
    if (target === undefined) {
      stack.push(segment);
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return { reason: 'symlink-loop', detail: first };
    if (target.startsWith('/'))
      return { reason: 'symlink-escapes', detail: `${first} (through ${here} -> ${target})` };
    // The followed link's target is relative to its own directory, which is `stack`.
    pending = [...target.split('/'), ...pending];
  }
  return undefined;
}

/**
 * Judges a whole tree. `symlinkTargets` maps each symlink's path to its target (the blob's
 * content). Pure: the same tree always gets the same verdict.
 */
export function judgeTree(
  entries: readonly TreeEntry[],
  symlinkTargets: ReadonlyMap<string, string>,
): TreeVerdict {
  const unsafe: UnsafePath[] = [];
  const gitlinks: { path: string; commit: string }[] = [];
  for (const entry of entries) {
    const problem = pathProblem(entry.path);
    if (problem) {
      unsafe.push(problem);
      continue;
    }
    switch (entry.mode) {
      case '100644':
      case '100755':
      case '100664':
      case '040000':
        break;
      case '160000':
        gitlinks.push({ path: entry.path, commit: entry.oid });
        break;
      case '120000': {
        const escape = escapes(entry.path, symlinkTargets);
        if (escape) unsafe.push({ path: entry.path, ...escape });
        break;
      }
      default:
        unsafe.push({ path: entry.path, reason: 'unsupported-mode', detail: entry.mode });
    }
  }
  // A refused directory whose own entries are named adds nothing: name the entries only.
  const named = unsafe.filter(
    (u) => !unsafe.some((other) => other !== u && other.path.startsWith(`${u.path}/`)),
  );
  return { unsafe: named, gitlinks };
}
