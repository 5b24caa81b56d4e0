// A release compared byte for byte with `git archive` of its commit: what a node must serve.
import { execFile } from 'node:child_process';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './git-cli';

const run = promisify(execFile);

/** Every entry under `dir` without following symlinks: path → `file 644 <content>`, `-> target`, `dir`. */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      const rel = relative(dir, full);
      if (entry.isDirectory()) {
        out[rel] = 'dir';
        await walk(full);
      } else if (entry.isSymbolicLink()) out[rel] = `-> ${await readlink(full)}`;
      else {
        const mode = ((await lstat(full)).mode & 0o111) !== 0 ? '755' : '644';
        out[rel] = `file ${mode} ${(await readFile(full)).toString('base64')}`;
      }
    }
  };
  await walk(dir);
  return out;
}

/** The snapshot of `git archive <commit>[:subdir]` from a bare repository on disk. */
export async function archiveSnapshot(
  gitDir: string,
  commit: string,
  subdir = '',
): Promise<Record<string, string>> {
  const out = await tempDir('berth-archive-');
  try {
    const tree = subdir ? `${commit}:${subdir.replace(/\/+$/, '')}` : commit;
    await run(
      'sh',
      ['-c', `git --git-dir="$1" archive "$2" | tar -x -C "$3"`, 'sh', gitDir, tree, out.dir],
      {
        maxBuffer: 1 << 26,
      },
    );
    return await treeSnapshot(out.dir);
  } finally {
    await out.cleanup();
  }
}
