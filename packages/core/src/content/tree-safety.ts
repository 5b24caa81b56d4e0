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
  | 'duplicate-name'
  | 'below-symlink'
  | 'below-file'
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

type Escape = { readonly reason: UnsafeReason; readonly detail: string };

/**
 * Walks `pending` from the directory `stack` (real path segments, no links in them) the way
 * the kernel walks a path inside the release directory: every segment that names one of the
 * tree's symlinks is replaced by that link's target, resolved from the link's real directory.
 * Returns the real path reached, or why the walk leaves the release directory.
 */
function walk(
  stack: readonly string[],
  path: string,
  targets: ReadonlyMap<string, string>,
  describe: string,
): { readonly at: readonly string[] } | Escape {
  const at = [...stack];
  let pending = path.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift() ?? '';
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (at.length === 0) return { reason: 'symlink-escapes', detail: describe };
      at.pop();
      continue;
    }
    const here = [...at, segment].join('/');
    const target = targets.get(here);
    if (target === undefined) {
      at.push(segment);
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return { reason: 'symlink-loop', detail: describe };
    if (target.startsWith('/'))
      return { reason: 'symlink-escapes', detail: `${describe} (through ${here} -> ${target})` };
    // The followed link's target is relative to its own (real) directory, which is `at`.
    pending = [...target.split('/'), ...pending];
  }
  return { at };
}

/**
 * Where `linkPath` points once its own directory is resolved through the tree's links (a link
 * under `d/d/` with `d -> .` really sits at the root) and its target followed from there.
 */
function escapes(linkPath: string, targets: ReadonlyMap<string, string>): Escape | undefined {
  const first = targets.get(linkPath) ?? '';
  if (first.startsWith('/')) return { reason: 'symlink-absolute', detail: first };
  const parent = linkPath.split('/').slice(0, -1).join('/');
  const home = walk([], parent, targets, first);
  if (!('at' in home)) return home;
  const real = home.at.join('/');
  const detail =
    real === parent ? first : `${first} (from ${real || '.'}, where ${parent} really is)`;
  const reached = walk(home.at, first, targets, detail);
  return 'at' in reached ? undefined : reached;
}

/** The closest ancestor of `path` that the tree makes a symlink or a file, if any. */
function blockingAncestor(
  path: string,
  nonDirectories: ReadonlyMap<string, string>,
): { readonly ancestor: string; readonly mode: string } | undefined {
  const segments = path.split('/');
  for (let i = segments.length - 1; i > 0; i--) {
    const ancestor = segments.slice(0, i).join('/');
    const mode = nonDirectories.get(ancestor);
    if (mode !== undefined) return { ancestor, mode };
  }
  return undefined;
}

const PATH_REASONS: ReadonlySet<UnsafeReason> = new Set([
  'absolute-path',
  'dot-segment',
  'empty-segment',
  'git-directory',
]);

/**
 * Judges a whole tree. `symlinkTargets` maps each symlink's path to its target (the blob's
 * content). Pure: the same tree always gets the same verdict.
 *
 * Besides each entry's own name, the tree as a whole must make one unambiguous directory:
 * two entries with one name (git's object store accepts them: `d -> .` beside a directory
 * `d/`) and any entry below a symlink or a file are refused, since what lands on disk would
 * depend on the order of the writes and could follow the tree's own links out of the release.
 */
export function judgeTree(
  entries: readonly TreeEntry[],
  symlinkTargets: ReadonlyMap<string, string>,
): TreeVerdict {
  const seen = new Map<string, number>();
  const nonDirectories = new Map<string, string>();
  for (const entry of entries) {
    seen.set(entry.path, (seen.get(entry.path) ?? 0) + 1);
    if (entry.mode !== '040000') nonDirectories.set(entry.path, entry.mode);
  }
  // One verdict per path, the most telling first: its name, where a link leads, then its place.
  const found = new Map<string, UnsafePath>();
  const refuse = (problem: UnsafePath) => {
    if (!found.has(problem.path)) found.set(problem.path, problem);
  };
  const gitlinks: { path: string; commit: string }[] = [];
  for (const entry of entries) {
    const problem = pathProblem(entry.path);
    if (problem) {
      refuse(problem);
      continue;
    }
    if (entry.mode === '120000') {
      const escape = escapes(entry.path, symlinkTargets);
      if (escape) refuse({ path: entry.path, ...escape });
    }
    const count = seen.get(entry.path) ?? 0;
    if (count > 1) {
      refuse({ path: entry.path, reason: 'duplicate-name', detail: `${count} entries` });
    }
    const blocked = blockingAncestor(entry.path, nonDirectories);
    if (blocked) {
      const reason = blocked.mode === '120000' ? 'below-symlink' : 'below-file';
      refuse({ path: entry.path, reason, detail: blocked.ancestor });
    }
    switch (entry.mode) {
      case '100644':
      case '100755':
      case '100664':
      case '040000':
      case '120000':
        break;
      case '160000':
        gitlinks.push({ path: entry.path, commit: entry.oid });
        break;
      default:
        refuse({ path: entry.path, reason: 'unsupported-mode', detail: entry.mode });
    }
  }
  const unsafe = [...found.values()];
  // A directory refused for its name whose own entries are named adds nothing: name the entries.
  const named = unsafe.filter(
    (u) =>
      !PATH_REASONS.has(u.reason) ||
      !unsafe.some((other) => other !== u && other.path.startsWith(`${u.path}/`)),
  );
  return { unsafe: named, gitlinks };
}
