import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, listOrEmpty } from './fs-errors';

/**
 * The disk taken under `path`, in bytes, as `du` counts it: the blocks allocated to every file,
 * directory and link, links not followed, and each inode once however many hard links it has
 * (releases are made from the previous one by hard links: counting paths would report every
 * unchanged file once per release). 0 when `path` does not exist.
 */
export async function diskUsage(path: string, seen: Set<string> = new Set()): Promise<number> {
  let info;
  try {
    info = await lstat(path);
  } catch (cause) {
    if (isNotFound(cause)) return 0;
    throw cause;
  }
  const inode = `${info.dev}:${info.ino}`;
  if (seen.has(inode)) return 0;
  seen.add(inode);
  let total = info.blocks * 512;
  if (info.isDirectory()) {
    for (const name of await listOrEmpty(path)) total += await diskUsage(join(path, name), seen);
  }
  return total;
}
