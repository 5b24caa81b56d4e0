// Commits for test repositories: ordinary trees through `git fast-import` (one process however
// many files), hostile ones object by object through `git hash-object` / `git mktree`.
import { git, tempDir, withCredentials } from './git-cli';

/** What the commit helpers write into: a bare repository (see `createBareRepo`) or its path or URL. */
interface RepoLike {
  readonly dir: string;
}

/** A file's content, an executable, a symlink (its target), or `null` to delete the path. */
export type FileSpec =
  | string
  | Buffer
  | { readonly content: string | Buffer; readonly mode?: '100644' | '100755' }
  | { readonly symlink: string }
  | null;

export interface CommitOptions {
  readonly message?: string;
  /** Default `main`. */
  readonly branch?: string;
  /**
   * The commit to build on: default the branch's tip (a root commit if it has none); `null`
   * for a root commit. The branch is moved to the new commit even when that is not a
   * fast-forward (that is how tests force-push).
   */
  readonly parent?: string | null;
  /** Start from an empty tree instead of the parent's. */
  readonly replace?: boolean;
}

type Target = RepoLike | string;

const isUrl = (target: Target) => typeof target === 'string' && /^https?:\/\//.test(target);

async function tipOf(gitDir: string, branch: string): Promise<string | undefined> {
  try {
    return await git(['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], { gitDir });
  } catch {
    return undefined;
  }
}

/** A path in fast-import's C-style quotes, so spaces, quotes and newlines survive. */
function quote(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function data(content: string | Buffer): Buffer {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return Buffer.concat([Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')]);
}

function fastImportStream(
  files: Readonly<Record<string, FileSpec>>,
  branch: string,
  parent: string | undefined,
  options: CommitOptions,
): Buffer {
  const ref = `refs/heads/${branch}`;
  const now = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  const line = (text: string) => parts.push(Buffer.from(`${text}\n`));
  if (!parent) line(`reset ${ref}`);
  line(`commit ${ref}`);
  line(`author berth test <test@berth.invalid> ${now} +0000`);
  line(`committer berth test <test@berth.invalid> ${now} +0000`);
  parts.push(data(options.message ?? 'test commit'));
  if (parent) line(`from ${parent}`);
  if (options.replace) line('deleteall');
  for (const [path, spec] of Object.entries(files)) {
    if (spec === null) {
      line(`D ${quote(path)}`);
      continue;
    }
    const [mode, content] =
      typeof spec === 'string' || Buffer.isBuffer(spec)
        ? ['100644', spec]
        : 'symlink' in spec
          ? ['120000', spec.symlink]
          : [spec.mode ?? '100644', spec.content];
    line(`M ${mode} inline ${quote(path)}`);
    parts.push(data(content));
  }
  line('done');
  return Buffer.concat(parts);
}

async function commitInto(
  gitDir: string,
  files: Readonly<Record<string, FileSpec>>,
  options: CommitOptions,
): Promise<string> {
  const branch = options.branch ?? 'main';
  const parent = options.parent === undefined ? await tipOf(gitDir, branch) : options.parent;
  const stream = fastImportStream(files, branch, parent ?? undefined, options);
  await git(['fast-import', '--quiet', '--force', '--done'], { gitDir, input: stream });
  return git(['rev-parse', `refs/heads/${branch}`], { gitDir });
}

/**
 * Commits `files` (paths with `/`) on top of the parent's tree and moves the branch there.
 * Given a bare repository (or its directory) it writes into it directly; given a URL it builds
 * the commit in a scratch repository and pushes it over HTTP with `--force` (credentials added
 * for `private/` URLs). Resolves the new commit's SHA.
 */
export async function commitFiles(
  target: Target,
  files: Readonly<Record<string, FileSpec>>,
  options: CommitOptions = {},
): Promise<string> {
  if (!isUrl(target)) {
    return commitInto(typeof target === 'string' ? target : target.dir, files, options);
  }
  const url = target as string;
  const remote = url.includes('/private/') ? withCredentials(url) : url;
  const branch = options.branch ?? 'main';
  const scratch = await tempDir('berth-git-push');
  try {
    const gitDir = scratch.dir;
    await git(['init', '-q', '--bare', gitDir]);
    const heads = await git(['ls-remote', remote, `refs/heads/${branch}`], { gitDir });
    if (heads)
      await git(['fetch', '-q', remote, `refs/heads/${branch}:refs/heads/${branch}`], { gitDir });
    if (options.parent) await git(['fetch', '-q', remote, options.parent], { gitDir });
    const sha = await commitInto(gitDir, files, options);
    await git(['push', '-q', '--force', remote, `${sha}:refs/heads/${branch}`], { gitDir });
    return sha;
  } finally {
    await scratch.cleanup();
  }
}

/** One entry of a tree built object by object; names are taken verbatim (`..`, `.git` …). */
export type RawEntry =
  | { readonly name: string; readonly content: string | Buffer; readonly mode?: string }
  | { readonly name: string; readonly symlink: string }
  | { readonly name: string; readonly tree: readonly RawEntry[] }
  | { readonly name: string; readonly gitlink: string }
  | { readonly name: string; readonly mode: string; readonly oid: string };

async function writeBlob(gitDir: string, content: string | Buffer): Promise<string> {
  return git(['hash-object', '-w', '--stdin'], { gitDir, input: content });
}

/**
 * Writes a tree object (and the blobs and subtrees it needs) into the repository and resolves
 * its oid, for building trees that reuse one subtree (`{ name, mode: '040000', oid }`).
 */
export async function writeRawTree(
  target: RepoLike | string,
  entries: readonly RawEntry[],
): Promise<string> {
  return writeTree(typeof target === 'string' ? target : target.dir, entries);
}

async function writeTree(gitDir: string, entries: readonly RawEntry[]): Promise<string> {
  const lines: Buffer[] = [];
  for (const entry of entries) {
    let mode: string;
    let type: string;
    let oid: string;
    if ('tree' in entry) {
      [mode, type, oid] = ['040000', 'tree', await writeTree(gitDir, entry.tree)];
    } else if ('gitlink' in entry) {
      [mode, type, oid] = ['160000', 'commit', entry.gitlink];
    } else if ('symlink' in entry) {
      [mode, type, oid] = ['120000', 'blob', await writeBlob(gitDir, entry.symlink)];
    } else if ('content' in entry) {
      [mode, type, oid] = [entry.mode ?? '100644', 'blob', await writeBlob(gitDir, entry.content)];
    } else {
      mode = entry.mode;
      type =
        mode.startsWith('04') || mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
      oid = entry.oid;
    }
    lines.push(Buffer.from(`${mode} ${type} ${oid}\t${entry.name}\0`, 'utf8'));
  }
  return git(['mktree', '-z', '--missing'], { gitDir, input: Buffer.concat(lines) });
}

/**
 * Commits a tree made object by object, so it can hold what porcelain git refuses (entries
 * named `..` or `.git`, symlinks leaving the tree, gitlinks), and moves the branch to it.
 * Writes into the bare repository directly; resolves the commit's SHA.
 */
export async function commitRawTree(
  target: RepoLike | string,
  entries: readonly RawEntry[],
  options: Omit<CommitOptions, 'replace'> = {},
): Promise<string> {
  const gitDir = typeof target === 'string' ? target : target.dir;
  const branch = options.branch ?? 'main';
  const parent = options.parent === undefined ? await tipOf(gitDir, branch) : options.parent;
  const tree = await writeTree(gitDir, entries);
  const sha = await git(
    ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', options.message ?? 'raw tree'],
    { gitDir },
  );
  await git(['update-ref', `refs/heads/${branch}`, sha], { gitDir });
  return sha;
}
