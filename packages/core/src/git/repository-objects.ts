/**
 * The objects of a git repository on this host (the announcer's checkout), read with berth's own
 * readers (loose and packed, every object checked against its name): no `git` binary.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { RawObject } from './objects';
import { ObjectReader } from './pack-reader';
import { PackSet } from './pack-set';

/** A repository's object store, open for reading; close it when done. */
export interface RepositoryObjects {
  /** The directory whose `objects/` is read. */
  readonly objectsDir: string;
  read(oid: string): Promise<RawObject | undefined>;
  close(): Promise<void>;
}

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** The git directory of a work tree, a `.git` file (linked work tree) or a bare repository. */
async function gitDirOf(dir: string): Promise<string | undefined> {
  const dotGit = join(dir, '.git');
  if (await isDirectory(dotGit)) return dotGit;
  if (await isFile(dotGit)) {
    const line = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
    return line === undefined ? undefined : resolve(dir, line);
  }
  if ((await isDirectory(join(dir, 'objects'))) && (await isFile(join(dir, 'HEAD')))) return dir;
  return undefined;
}

/** Where the objects are: a linked work tree's git directory names the shared one in `commondir`. */
async function objectsHome(gitdir: string): Promise<string> {
  const common = await readFile(join(gitdir, 'commondir'), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (common === undefined || common === '') return gitdir;
  return isAbsolute(common) ? common : resolve(gitdir, common);
}

/** Opens the objects of the repository at `dir`, or says why it is not one. */
export async function openRepositoryObjects(dir: string): Promise<RepositoryObjects | string> {
  const gitdir = await gitDirOf(resolve(dir));
  if (gitdir === undefined) return `${dir} is not a git repository (no .git, not a bare one)`;
  const home = await objectsHome(gitdir);
  if (!(await isDirectory(join(home, 'objects')))) return `${home} has no objects directory`;
  const packs = new PackSet(join(home, 'objects', 'pack'));
  await packs.refresh();
  const reader = new ObjectReader(home, packs);
  return {
    objectsDir: join(home, 'objects'),
    read: (oid) => reader.read(oid),
    close: () => packs.close(),
  };
}
