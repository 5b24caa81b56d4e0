/**
 * The file system isomorphic-git sees while it fetches into a cache: the real one, except that
 * the cache's objects come from berth's own store.
 *
 * Why: isomorphic-git looks an object up by listing `objects/pack`, reading every pack index
 * and then the whole pack that holds it, with a cache that lives for one fetch. A fetch asks
 * for a few objects (the commit it is told is shallow, the tip it has, the bases of a thin
 * pack), and every fetch adds a pack, so each fetch read more than the one before — measured
 * here, a one-file update's fetch went from 30 ms of CPU to 95 ms after 40 updates, and the
 * base of a changed file meant reading the whole first pack (the full tree) into memory.
 * Through this view isomorphic-git finds no packs to list, and every object the store holds
 * looks like a loose object: one lookup in indexes berth keeps in memory, one object read.
 *
 * Writes (refs, the shallow file) go to the real file system. isomorphic-git writes no pack:
 * the pack never reaches it (see `pack-receive.ts`).
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { PromiseFsClient } from 'isomorphic-git';
import { isNotFound } from '../util/fs-errors';
import type { RawObject } from './objects';

/** What the view needs from the store: objects by name, and whether one is there. */
export interface ObjectLookup {
  /** The object, or undefined when the store does not have it. */
  read(oid: string): Promise<RawObject | undefined>;
  has(oid: string): Promise<boolean>;
}

const LOOSE = /\/objects\/([0-9a-f]{2})\/([0-9a-f]{38})$/;

/** The stat of a stored object seen as a loose file: isomorphic-git only asks whether it exists. */
function objectStat(size: number): fs.Stats {
  const stat = new fs.Stats();
  return Object.assign(stat, { mode: 0o100444, size, nlink: 1 });
}

/** A loose object's bytes: `<type> <size>\0<content>`, deflated without compressing (level 0). */
function asLoose(object: RawObject): Buffer {
  const header = Buffer.from(`${object.type} ${object.content.length}\0`, 'latin1');
  return deflateSync(Buffer.concat([header, object.content]), { level: 0 });
}

/** The promise-style file system to hand isomorphic-git's fetch for the cache at `gitdir`. */
export function fetchFs(gitdir: string, objects: ObjectLookup): PromiseFsClient {
  const root = resolve(gitdir);
  const packDir = join(root, 'objects', 'pack');
  const p = fs.promises;
  /** The object name when `path` is a loose object's path in this cache. */
  const looseOid = (path: unknown): string | undefined => {
    if (typeof path !== 'string') return undefined;
    const full = resolve(path);
    if (!full.startsWith(`${root}/`)) return undefined;
    const match = LOOSE.exec(full.slice(root.length));
    return match ? `${match[1]}${match[2]}` : undefined;
  };

  /** The file's stat, or, for a stored object's loose path, one that says it exists. */
  const statOf = async (real: (path: string) => Promise<fs.Stats>, path: string) => {
    try {
      return await real(path);
    } catch (cause) {
      const oid = looseOid(path);
      if (!oid || !isNotFound(cause) || !(await objects.has(oid))) throw cause;
      return objectStat(0);
    }
  };

  const promises = {
    readFile: async (path: string, options?: Parameters<typeof p.readFile>[1]) => {
      try {
        return await p.readFile(path, options);
      } catch (cause) {
        const oid = looseOid(path);
        if (!oid || !isNotFound(cause)) throw cause;
        const object = await objects.read(oid);
        if (!object) throw cause;
        return asLoose(object);
      }
    },
    readdir: async (path: string): Promise<string[]> =>
      // Nothing to list: every stored object is reached as a loose one.
      resolve(path) === packDir ? [] : p.readdir(path),
    stat: (path: string) => statOf(p.stat, path),
    lstat: (path: string) => statOf(p.lstat, path),
    writeFile: p.writeFile.bind(p),
    mkdir: p.mkdir.bind(p),
    rmdir: p.rmdir.bind(p),
    unlink: p.unlink.bind(p),
    readlink: p.readlink.bind(p),
    symlink: p.symlink.bind(p),
    rm: p.rm.bind(p),
  };
  return { promises };
}
