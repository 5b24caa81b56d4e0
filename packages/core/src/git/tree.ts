/**
 * A commit's tree read straight from the object store, without a checkout: every entry, or the
 * files that differ between two commits.
 */
import { ResultAsync, err, ok, type Result } from 'neverthrow';
import type { RawObject } from './objects';
import { berthError, type GitCacheCorruptError, type GitObjectError } from '../errors';
import {
  parseCommit,
  parseTree,
  type RawTreeEntry,
  type TreeEntryMode,
  type TreeEntryType,
} from './objects';

export type { TreeEntryMode, TreeEntryType } from './objects';

/** One entry of a commit's tree, anywhere in it. */
export interface TreeEntry {
  /**
   * Slash-joined names from the root, exactly as stored: `..`, `.git/config` or a name with a
   * backslash come through unchanged. Checking them is the consumer's job.
   */
  readonly path: string;
  readonly mode: TreeEntryMode;
  readonly type: TreeEntryType;
  readonly oid: string;
}

/** The files (regular files and symlinks) that differ between two commits, by path. */
export interface TreeDiff {
  /** Files in the new commit with no file at that path in the old one. */
  readonly added: readonly TreeEntry[];
  /** Files whose content or mode changed (the new commit's entry). */
  readonly modified: readonly TreeEntry[];
  /** Paths that held a file in the old commit and hold none in the new one. */
  readonly deleted: readonly string[];
  /** Gitlinks (submodules) that are new or point elsewhere in the new commit. */
  readonly gitlinks: readonly TreeEntry[];
}

/** Reads one object from the cache (the source's object store, or a spy on it in tests). */
/** What reading an object can fail with: the object itself, or the cache it is read from. */
export type ObjectReadError = GitObjectError | GitCacheCorruptError;

export type ReadObject = (oid: string) => ResultAsync<RawObject, ObjectReadError>;

type Step<T> = Promise<Result<T, ObjectReadError>>;

function malformed(url: string, oid: string, problem: 'corrupt' | 'wrong-type', message: string) {
  return berthError.gitObject({ url, oid, problem, message });
}

/** The root tree of a commit (or the tree itself, when given a tree's oid). */
async function rootTree(url: string, read: ReadObject, oid: string): Step<string> {
  const object = await read(oid);
  if (object.isErr()) return err(object.error);
  if (object.value.type === 'tree') return ok(oid);
  if (object.value.type !== 'commit') {
    return err(malformed(url, oid, 'wrong-type', `${oid} is a ${object.value.type}, not a commit`));
  }
  const commit = parseCommit(object.value.content);
  if (typeof commit === 'string') return err(malformed(url, oid, 'corrupt', `${oid}: ${commit}`));
  return ok(commit.tree);
}

async function entriesOf(url: string, read: ReadObject, tree: string): Step<RawTreeEntry[]> {
  const object = await read(tree);
  if (object.isErr()) return err(object.error);
  if (object.value.type !== 'tree') {
    return err(malformed(url, tree, 'wrong-type', `${tree} is a ${object.value.type}, not a tree`));
  }
  const entries = parseTree(object.value.content);
  if (typeof entries === 'string')
    return err(malformed(url, tree, 'corrupt', `tree ${tree}: ${entries}`));
  return ok(entries);
}

/** Counts entries against a limit, so a tree that names one subtree at every level cannot explode. */
class Budget {
  private used = 0;
  constructor(
    private readonly url: string,
    private readonly root: string,
    private readonly limit: number,
  ) {}
  spend(): GitObjectError | undefined {
    this.used += 1;
    if (this.used <= this.limit) return undefined;
    return berthError.gitObject({
      url: this.url,
      oid: this.root,
      problem: 'too-large',
      message: `the tree of ${this.root} has more than ${this.limit} entries`,
    });
  }
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}/${name}` : name);

/**
 * Every entry of the tree (directories included), depth first in stored order. Trees are read
 * as raw objects and parsed here, so hostile names come through instead of throwing.
 */
/** Parsed trees by oid (a tree never changes): a commit that shares subtrees reads only the new. */
export interface TreeCache {
  get(tree: string): readonly RawTreeEntry[] | undefined;
  set(tree: string, entries: readonly RawTreeEntry[]): void;
}

export function listTree(
  url: string,
  read: ReadObject,
  commit: string,
  maxEntries: number,
  trees?: TreeCache,
): ResultAsync<TreeEntry[], ObjectReadError> {
  return new ResultAsync(
    (async (): Step<TreeEntry[]> => {
      const root = await rootTree(url, read, commit);
      if (root.isErr()) return err(root.error);
      const budget = new Budget(url, commit, maxEntries);
      const out: TreeEntry[] = [];
      const walk = async (tree: string, prefix: string): Step<void> => {
        const known = trees?.get(tree);
        const entries = known ? ok(known) : await entriesOf(url, read, tree);
        if (entries.isErr()) return err(entries.error);
        if (!known) trees?.set(tree, entries.value);
        for (const entry of entries.value) {
          const over = budget.spend();
          if (over) return err(over);
          const path = join(prefix, entry.name);
          out.push({ path, mode: entry.mode, type: entry.type, oid: entry.oid });
          if (entry.type !== 'tree') continue;
          const inner = await walk(entry.oid, path);
          if (inner.isErr()) return inner;
        }
        return ok(undefined);
      };
      const walked = await walk(root.value, '');
      return walked.isErr() ? err(walked.error) : ok(out);
    })(),
  );
}

interface DiffOut {
  added: TreeEntry[];
  modified: TreeEntry[];
  deleted: string[];
  gitlinks: TreeEntry[];
}

/**
 * The files that differ between two commits (`from` undefined: everything is added). Subtrees
 * with the same oid on both sides are skipped unread, so the cost follows the change.
 */
export function diffTrees(
  url: string,
  read: ReadObject,
  from: string | undefined,
  to: string,
  maxEntries: number,
): ResultAsync<TreeDiff, ObjectReadError> {
  return new ResultAsync(
    (async (): Step<TreeDiff> => {
      const toRoot = await rootTree(url, read, to);
      if (toRoot.isErr()) return err(toRoot.error);
      const fromRoot = from === undefined ? ok(undefined) : await rootTree(url, read, from);
      if (fromRoot.isErr()) return err(fromRoot.error);
      const out: DiffOut = { added: [], modified: [], deleted: [], gitlinks: [] };
      const budget = new Budget(url, to, maxEntries);
      const done = await compare(url, read, budget, fromRoot.value, toRoot.value, '', out);
      return done.isErr() ? err(done.error) : ok(out);
    })(),
  );
}

const isFile = (e: RawTreeEntry | undefined): e is RawTreeEntry => e?.type === 'blob';

function byName(entries: readonly RawTreeEntry[]): Map<string, RawTreeEntry> {
  const map = new Map<string, RawTreeEntry>();
  // A crafted tree can repeat a name; git keeps the first, and so do we.
  for (const entry of entries) if (!map.has(entry.name)) map.set(entry.name, entry);
  return map;
}

async function compare(
  url: string,
  read: ReadObject,
  budget: Budget,
  fromTree: string | undefined,
  toTree: string | undefined,
  prefix: string,
  out: DiffOut,
): Step<void> {
  if (fromTree === toTree) return ok(undefined);
  const load = async (tree: string | undefined): Step<Map<string, RawTreeEntry>> => {
    if (tree === undefined) return ok(new Map());
    const entries = await entriesOf(url, read, tree);
    return entries.isErr() ? err(entries.error) : ok(byName(entries.value));
  };
  const before = await load(fromTree);
  if (before.isErr()) return err(before.error);
  const after = await load(toTree);
  if (after.isErr()) return err(after.error);

  for (const name of new Set([...before.value.keys(), ...after.value.keys()])) {
    const over = budget.spend();
    if (over) return err(over);
    const old = before.value.get(name);
    const now = after.value.get(name);
    const path = join(prefix, name);
    if (isFile(old) && !(isFile(now) && now.oid === old.oid && now.mode === old.mode)) {
      if (!isFile(now)) out.deleted.push(path);
    }
    if (isFile(now)) {
      const entry = { path, mode: now.mode, type: now.type, oid: now.oid };
      if (!isFile(old)) out.added.push(entry);
      else if (old.oid !== now.oid || old.mode !== now.mode) out.modified.push(entry);
    }
    if (now?.type === 'commit' && !(old?.type === 'commit' && old.oid === now.oid)) {
      out.gitlinks.push({ path, mode: now.mode, type: now.type, oid: now.oid });
    }
    const oldTree = old?.type === 'tree' ? old.oid : undefined;
    const newTree = now?.type === 'tree' ? now.oid : undefined;
    if (oldTree !== undefined || newTree !== undefined) {
      const inner = await compare(url, read, budget, oldTree, newTree, path, out);
      if (inner.isErr()) return inner;
    }
  }
  return ok(undefined);
}
