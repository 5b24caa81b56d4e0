import { blobId, manifestOf, type ManifestEntry, type ReleaseManifest } from './release-manifest';
import type { StagedFile } from './target';

/**
 * The manifest of a release being staged: the base release's entries, less what the stage
 * removes, plus every file it writes (its size from the content sent, its blob id as given or
 * hashed here).
 */
export class ManifestBuilder {
  private readonly entries = new Map<string, ManifestEntry>();

  constructor(
    private readonly commit: string,
    base?: ReleaseManifest,
  ) {
    for (const e of base?.entries ?? []) this.entries.set(e.path, e);
  }

  /** A path removed from the base: a file, or a directory with everything under it. */
  remove(path: string): void {
    for (const p of [...this.entries.keys()])
      if (p === path || p.startsWith(`${path}/`)) this.entries.delete(p);
  }

  add(file: StagedFile): void {
    this.entries.set(file.path, {
      path: file.path,
      mode: file.kind === 'symlink' ? '120000' : file.kind === 'executable' ? '100755' : '100644',
      size: file.content.length,
      oid: file.oid ?? blobId(file.content, this.commit),
    });
  }

  build(): ReleaseManifest {
    return manifestOf(this.commit, [...this.entries.values()]);
  }
}
