import { join } from 'node:path';
import { ResultAsync, err, errAsync, ok, okAsync, type Result } from 'neverthrow';
import { describeCause } from '../errors';
import type { RawObject } from './objects';
import type { ObjectLookup } from './fetch-fs';
import {
  berthError,
  type GitCacheCorruptError,
  type GitFetchError,
  type GitObjectError,
} from '../errors';
import { corruptionOf } from './pack-entry';
import { dirGeneration } from './lock';
import { parseCommit, parseTag, parseTree } from './objects';
import { ObjectReader } from './pack-reader';
import { PackSet } from './pack-set';
import { ObjectPresence, type PresenceSnapshot } from './presence';

/** Whether a commit can be read in full from the cache, without the network. */
export type Completeness = 'complete' | 'absent' | 'incomplete';

/** Annotated tags pointing at tags: git allows chains; a longer one is certainly hostile. */
const MAX_TAG_CHAIN = 16;

/** git (and isomorphic-git) know this object without storing it. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The views of one generation of the directory, dropped together when it is wiped. */
interface Views {
  readonly packs: PackSet;
  readonly reader: ObjectReader;
  readonly presence: ObjectPresence;
}

function viewsOf(gitdir: string): Views {
  const packs = new PackSet(join(gitdir, 'objects', 'pack'));
  return {
    packs,
    reader: new ObjectReader(gitdir, packs),
    presence: new ObjectPresence(gitdir, packs),
  };
}

/**
 * One process's view of a cache directory's objects: its packs (indexes in memory, file handles
 * open while they are read), which objects exist, and which trees are known to be complete. All
 * of it is dropped, and the handles closed, when the directory is wiped (by this source or
 * another one on the same directory). Objects are read through {@link ObjectReader}, a pack a
 * piece at a time: isomorphic-git only fetches.
 */
export class ObjectStore {
  private views: Views;
  private completeTrees = new Set<string>();
  private generation: number;

  constructor(
    readonly url: string,
    readonly gitdir: string,
  ) {
    this.views = viewsOf(gitdir);
    this.generation = dirGeneration(gitdir);
  }

  /** Forgets everything in memory if the directory was wiped since. Call under the dir lock. */
  refresh(): void {
    const now = dirGeneration(this.gitdir);
    if (now !== this.generation) this.forget(now);
  }

  private forget(generation: number): void {
    // Reads still in flight keep their pack open until they finish; then it is closed.
    void this.views.packs.close();
    this.views = viewsOf(this.gitdir);
    this.completeTrees = new Set();
    this.generation = generation;
  }

  /**
   * The objects as isomorphic-git's fetch sees them (see `fetch-fs.ts`): read through this
   * store, so a fetch never makes isomorphic-git list the packs or load one whole.
   */
  get lookup(): ObjectLookup {
    return {
      read: (oid) => this.views.reader.read(oid),
      has: (oid) => this.views.reader.has(oid),
    };
  }

  /**
   * Whether every pack seen before is still on disk (one directory listing). When one is gone,
   * all that is known of the objects is forgotten and the answer is false.
   */
  packsIntact(): ResultAsync<boolean, never> {
    return ResultAsync.fromPromise(this.views.packs.refresh(), () => undefined)
      .map(() => {
        if (!this.views.packs.takeVanished()) return true;
        this.forget(this.generation);
        return false;
      })
      .orElse(() => okAsync(false));
  }

  /**
   * The object, checked against its name: `missing` when absent, `GitCacheCorrupt` when the cache
   * cannot produce it (a cycle of deltas, a lost base, a checksum that fails, a malformed pack),
   * `corrupt` for any other failure to read it.
   */
  read(oid: string): ResultAsync<RawObject, GitObjectError | GitCacheCorruptError> {
    const { url, gitdir } = this;
    return ResultAsync.fromPromise(this.views.reader.read(oid), (cause) => {
      const problem = corruptionOf(cause);
      const message = `object ${oid} of ${url} is unreadable: ${describeCause(cause)}`;
      return problem
        ? berthError.gitCacheCorrupt({
            url,
            cacheDir: gitdir,
            oid,
            problem,
            recloned: false,
            message: `git cache ${gitdir} is corrupt: ${message}`,
            cause,
          })
        : berthError.gitObject({ url, oid, problem: 'corrupt', message, cause });
    }).andThen((object) =>
      object
        ? okAsync(object)
        : errAsync(
            berthError.gitObject({
              url,
              oid,
              problem: 'missing',
              message: `object ${oid} of ${url} is not in the cache`,
            }),
          ),
    );
  }

  /** Follows annotated tags down to the commit they name. */
  peelToCommit(oid: string): ResultAsync<string, GitObjectError | GitCacheCorruptError> {
    return new ResultAsync(
      (async (): Promise<Result<string, GitObjectError | GitCacheCorruptError>> => {
        let current = oid;
        for (let hops = 0; hops <= MAX_TAG_CHAIN; hops++) {
          const object = await this.read(current);
          if (object.isErr()) return err(object.error);
          if (object.value.type === 'commit') return ok(current);
          const tag = object.value.type === 'tag' ? parseTag(object.value.content) : undefined;
          if (tag === undefined || typeof tag === 'string') {
            return err(
              berthError.gitObject({
                url: this.url,
                oid: current,
                problem: typeof tag === 'string' ? 'corrupt' : 'wrong-type',
                message:
                  typeof tag === 'string'
                    ? `tag ${current}: ${tag}`
                    : `${oid} names a ${object.value.type}, not a commit`,
              }),
            );
          }
          current = tag.object;
        }
        return err(
          berthError.gitObject({
            url: this.url,
            oid,
            problem: 'corrupt',
            message: `tag ${oid} starts a chain of more than ${MAX_TAG_CHAIN} tags`,
          }),
        );
      })(),
    );
  }

  /**
   * Whether every object of the commit's tree is in the cache: trees are read, blobs and trees
   * are looked up in the pack indexes. Subtrees found complete before are not walked again, so
   * checking the next commit costs what changed. A gitlink's commit is not ours to have.
   */
  completeness(commit: string): ResultAsync<Completeness, GitFetchError> {
    return this.snapshot().andThen((present) =>
      ResultAsync.fromSafePromise(this.walk(commit, present)),
    );
  }

  /** Whether the object is in the cache (listed in a pack index or stored loose). */
  has(oid: string): ResultAsync<boolean, GitFetchError> {
    return this.snapshot().map((present) => present.has(oid));
  }

  private snapshot(): ResultAsync<PresenceSnapshot, GitFetchError> {
    return ResultAsync.fromPromise(this.views.presence.snapshot(), (cause) =>
      berthError.gitFetch({
        url: this.url,
        reason: 'cache',
        message: `git cache ${this.gitdir} cannot be listed: ${describeCause(cause)}`,
        cause,
      }),
    ).map((present) => {
      if (present.packsVanished) this.forget(this.generation);
      return present;
    });
  }

  private async walk(
    commit: string,
    present: { has(oid: string): boolean },
  ): Promise<Completeness> {
    if (!present.has(commit)) return 'absent';
    const object = await this.read(commit);
    if (object.isErr() || object.value.type !== 'commit') return 'incomplete';
    const parsed = parseCommit(object.value.content);
    if (typeof parsed === 'string') return 'incomplete';
    // A set, not a list: a hostile tree can name one subtree many times at every level.
    const visited = new Set<string>();
    const pending = [parsed.tree];
    while (pending.length > 0) {
      const tree = pending.pop() as string;
      if (this.completeTrees.has(tree) || visited.has(tree) || tree === EMPTY_TREE) continue;
      if (!present.has(tree)) return 'incomplete';
      const raw = await this.read(tree);
      if (raw.isErr() || raw.value.type !== 'tree') return 'incomplete';
      const entries = parseTree(raw.value.content);
      if (typeof entries === 'string') return 'incomplete';
      for (const entry of entries) {
        if (entry.type === 'tree') pending.push(entry.oid);
        else if (entry.type === 'blob' && !present.has(entry.oid)) return 'incomplete';
      }
      visited.add(tree);
    }
    for (const tree of visited) this.completeTrees.add(tree);
    return 'complete';
  }

  /** Pack files seen by the last look at the directory: every fetch adds one. */
  get packCount(): number {
    return this.views.presence.packCount;
  }
}
