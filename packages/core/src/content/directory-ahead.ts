import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { linkTree, ownedName, realDir, release } from './directory-fs';

/**
 * A copy (hard links) of the release just activated, made in the background for the next
 * stage, which then only removes and writes what changed: linking a whole tree is most of a
 * small update's work. It lives in staging under a name this process owns (never served, never
 * pruned while in use); a newer copy replaces it.
 */
export class AheadCopy {
  private prepared:
    { base: string; path: string; ready: Promise<Set<string> | undefined> } | undefined;

  constructor(
    private readonly releases: string,
    private readonly staging: string,
  ) {}

  /** Starts copying `base`; the copy made before is removed. */
  prepare(base: string): void {
    const old = this.prepared;
    if (old) void this.remove(old);
    const name = ownedName(`next.${base}`);
    const path = join(this.staging, name);
    const ready = realDir(this.staging)
      .then(() => linkTree(join(this.releases, base), path))
      .catch(async () => {
        await rm(path, { recursive: true, force: true }).catch(() => undefined);
        release(name);
        return undefined;
      });
    this.prepared = { base, path, ready };
  }

  /** The copy of `base`, once made, with the directories in it; it is the caller's from then on. */
  async take(base: string): Promise<{ path: string; made: Set<string> } | undefined> {
    const taken = this.prepared;
    if (!taken || taken.base !== base) return undefined;
    this.prepared = undefined;
    const made = await taken.ready;
    return made ? { path: taken.path, made } : undefined;
  }

  /** Removes the copy (waiting for it to be made first). */
  async drop(): Promise<void> {
    const left = this.prepared;
    this.prepared = undefined;
    if (left) await this.remove(left);
  }

  private async remove(copy: { path: string; ready: Promise<unknown> }): Promise<void> {
    await copy.ready;
    await rm(copy.path, { recursive: true, force: true }).catch(() => undefined);
    release(basename(copy.path));
  }
}
