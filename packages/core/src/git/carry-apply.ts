/**
 * Applying a carried change to a cache: only onto a cache that holds the base whole, only objects
 * that hash to their names, and only kept when the announced commit is then whole. Anything else
 * is a refusal (the node fetches from the origin), never a half-applied cache.
 */
import { appendFile, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResultAsync, okAsync } from 'neverthrow';
import { berthError, describeCause, type GitFetchError } from '../errors';
import { packOf, readCarriedPack } from './carried-pack';
import { writeTipRef } from './client';
import { bumpDirGeneration } from './lock';
import type { ObjectStore } from './store';

/** What became of a carried pack offered to a cache. */
export type CarryApplied =
  | { readonly applied: true; readonly objects: number }
  | {
      readonly applied: false;
      /**
       * `no-base`: the cache does not hold the base whole; `already`: the commit was whole before;
       * `corrupt`: the pack is malformed or an object does not hash to its name; `incomplete`:
       * the commit is not whole with it (a pack for another base, or one that lacks objects).
       */
      readonly reason: 'no-base' | 'already' | 'corrupt' | 'incomplete';
      readonly message: string;
    };

/** Objects of a carried pack may inflate to this much in all (its value is at most 1.5 MiB). */
const MAX_CONTENT_BYTES = 256 * 1024 * 1024;

const refused = (reason: Extract<CarryApplied, { applied: false }>['reason'], message: string) =>
  ({ applied: false, reason, message }) as const;

async function apply(
  store: ObjectStore,
  cacheDir: string,
  pack: Buffer,
  base: string,
  commit: string,
): Promise<CarryApplied> {
  store.refresh();
  const already = await store.completeness(commit);
  if (already.isOk() && already.value === 'complete')
    return refused('already', `${commit} is already whole in the cache`);
  const held = await store.completeness(base);
  if (held.isErr() || held.value !== 'complete')
    return refused('no-base', `the cache does not hold the base ${base} whole`);
  const objects = readCarriedPack(pack, MAX_CONTENT_BYTES);
  if (typeof objects === 'string') return refused('corrupt', `carried pack: ${objects}`);
  if (!objects.some((o) => o.oid === commit && o.type === 'commit'))
    return refused('incomplete', `the carried pack does not hold commit ${commit}`);
  const built = packOf(objects);
  const packDir = join(cacheDir, 'objects', 'pack');
  const name = join(packDir, `pack-${built.checksum.toString('hex')}`);
  // Pack first, index last, each renamed into place: no reader sees one without the other.
  for (const [suffix, bytes] of [
    ['.pack', built.pack],
    ['.idx', built.index],
  ] as const) {
    const temporary = join(packDir, `.carried${suffix}.${process.pid}.tmp`);
    await writeFile(temporary, bytes);
    await rename(temporary, `${name}${suffix}`);
  }
  const whole = await store.completeness(commit);
  if (whole.isErr() || whole.value !== 'complete') {
    await unlink(`${name}.idx`).catch(() => undefined);
    await unlink(`${name}.pack`).catch(() => undefined);
    bumpDirGeneration(cacheDir);
    store.refresh();
    return refused(
      'incomplete',
      `with the carried pack, commit ${commit} is still not whole in the cache (a pack for another base?)`,
    );
  }
  // The commit's parents may not be here: it is a shallow boundary for the next fetch, so the
  // server never assumes this cache has its history.
  const shallowFile = join(cacheDir, 'shallow');
  const shallow = await readFile(shallowFile, 'utf8').catch(() => '');
  if (!shallow.split('\n').includes(commit)) await appendFile(shallowFile, `${commit}\n`);
  return { applied: true, objects: objects.length };
}

/**
 * Offers a carried pack (thin against `base`) for `commit` to the cache. Hold the directory's lock
 * exclusively. Refusals are answers (see {@link CarryApplied}); an error is the cache failing.
 */
export function applyCarriedPack(
  url: string,
  store: ObjectStore,
  cacheDir: string,
  pack: Buffer,
  base: string,
  commit: string,
): ResultAsync<CarryApplied, GitFetchError> {
  return ResultAsync.fromPromise(apply(store, cacheDir, pack, base, commit), (cause) =>
    berthError.gitFetch({
      url,
      reason: 'cache',
      message: `git cache ${cacheDir}: applying a carried change failed: ${describeCause(cause)}`,
      cause,
    }),
  ).andThen((outcome) =>
    outcome.applied ? writeTipRef(url, cacheDir, commit).map(() => outcome) : okAsync(outcome),
  );
}
