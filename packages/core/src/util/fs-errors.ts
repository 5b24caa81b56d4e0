/** File-system answers the content code treats as "not there" rather than as failures. */
import { readdir } from 'node:fs/promises';

/** The path (or a directory on the way) does not exist. */
export const isNotFound = (cause: unknown): boolean =>
  (cause as { code?: unknown } | null)?.code === 'ENOENT';

/** The names in `dir`, or none when it does not exist. */
export async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (cause) {
    if (isNotFound(cause)) return [];
    throw cause;
  }
}
