/**
 * Keeping the cache bounded. Every fetch adds a pack and nothing is ever removed from one, so a
 * cache that once held a commit with big files keeps them after the site dropped them. After a
 * fetch, when the packs have grown well past what the commits in use need, they are replaced by
 * one pack of exactly those commits' objects (whole, so it needs no other pack).
 */
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResultAsync, okAsync } from 'neverthrow';
import { describeCause } from '../errors';
import { listOrEmpty } from '../util/fs-errors';
import { bumpDirGeneration } from './lock';
import { parseCommit, parseTree } from './objects';
import { PackIndex } from './pack-index';
import { PackBuilder, wholeEntry } from './pack-write';
import type { ResolveContext } from './resolve';

const CHECKSUM_BYTES = 20;
/** Packs may hold this much more than twice what the kept commits need before a compaction. */
const SLACK_BYTES = 1024 * 1024;

/** Every object the commits need: themselves, their trees, their blobs (gitlinks are not ours). */
async function liveObjects(ctx: ResolveContext, commits: readonly string[]): Promise<string[]> {
  const live = new Set<string>();
  const pending: string[] = [];
  for (const commit of commits) {
    const object = await ctx.store.read(commit);
    if (object.isErr()) throw new Error(object.error.message);
    const parsed = parseCommit(object.value.content);
    if (typeof parsed === 'string') throw new Error(`commit ${commit}: ${parsed}`);
    live.add(commit);
    pending.push(parsed.tree);
  }
  while (pending.length > 0) {
    const tree = pending.pop() as string;
    if (live.has(tree)) continue;
    live.add(tree);
    const object = await ctx.store.read(tree);
    if (object.isErr()) throw new Error(object.error.message);
    const entries = parseTree(object.value.content);
    if (typeof entries === 'string') throw new Error(`tree ${tree}: ${entries}`);
    for (const entry of entries) {
      if (entry.type === 'tree') pending.push(entry.oid);
      else if (entry.type === 'blob') live.add(entry.oid);
    }
  }
  return [...live];
}

interface StoredPack {
  readonly base: string;
  readonly bytes: number;
  /** Bytes each object takes in this pack. */
  readonly sizes: Map<string, number>;
}

async function storedPacks(packDir: string): Promise<StoredPack[]> {
  const packs: StoredPack[] = [];
  for (const name of await listOrEmpty(packDir)) {
    if (!name.endsWith('.idx')) continue;
    const base = join(packDir, name.slice(0, -'.idx'.length));
    const [index, info] = await Promise.all([
      readFile(`${base}.idx`).then((b) => PackIndex.parse(b)),
      stat(`${base}.pack`),
    ]);
    const sizes = new Map<string, number>();
    if (typeof index !== 'string') {
      const entries = index.entries().sort((a, b) => a.offset - b.offset);
      entries.forEach(({ oid, offset }, i) => {
        const next = entries[i + 1]?.offset ?? info.size - CHECKSUM_BYTES;
        sizes.set(oid.toString('hex'), next - offset);
      });
    }
    packs.push({ base, bytes: info.size, sizes });
  }
  return packs;
}

/** What a compaction did, for the log. */
export interface Compaction {
  readonly packsBefore: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

async function compact(
  ctx: ResolveContext,
  keep: readonly string[],
): Promise<Compaction | undefined> {
  const packDir = join(ctx.cacheDir, 'objects', 'pack');
  // One stat per pack decides whether the indexes are worth reading at all.
  const sizes = await Promise.all(
    (await listOrEmpty(packDir))
      .filter((f) => f.endsWith('.pack'))
      .map((f) => stat(join(packDir, f)).then((s) => s.size)),
  );
  if (sizes.reduce((sum, size) => sum + size, 0) < ctx.compactFloorBytes) return undefined;
  const packs = await storedPacks(packDir);
  const bytesBefore = packs.reduce((sum, p) => sum + p.bytes, 0);
  const live = await liveObjects(ctx, keep);
  const needed = live.reduce(
    (sum, oid) => sum + (packs.find((p) => p.sizes.has(oid))?.sizes.get(oid) ?? 0),
    0,
  );
  if (bytesBefore <= 2 * needed + SLACK_BYTES) return undefined;
  const builder = new PackBuilder();
  for (const oid of live) {
    const object = await ctx.store.read(oid);
    if (object.isErr()) throw new Error(object.error.message);
    builder.add(Buffer.from(oid, 'hex'), wholeEntry(object.value.type, object.value.content));
  }
  const built = builder.finish();
  const base = join(packDir, `pack-${built.checksum.toString('hex')}`);
  // The new pack is in place (index last) before any old one goes, so every object stays readable.
  for (const [suffix, bytes] of [
    ['.pack', built.pack],
    ['.idx', built.index],
  ] as const) {
    const temporary = join(packDir, `.compact${suffix}.${process.pid}.tmp`);
    await writeFile(temporary, bytes);
    await rename(temporary, `${base}${suffix}`);
  }
  for (const pack of packs) {
    if (pack.base === base) continue;
    await unlink(`${pack.base}.idx`).catch(() => undefined);
    await unlink(`${pack.base}.pack`).catch(() => undefined);
  }
  bumpDirGeneration(ctx.cacheDir);
  ctx.store.refresh();
  return { packsBefore: packs.length, bytesBefore, bytesAfter: built.pack.length };
}

/**
 * Replaces the packs by one holding only what `keep` needs, when they hold more than twice that
 * (and more than the context's floor). Hold the directory's lock exclusively. Never fails: a
 * compaction that cannot be done leaves the cache as it was, and is logged.
 */
export function compactCache(
  ctx: ResolveContext,
  keep: readonly string[],
): ResultAsync<Compaction | undefined, never> {
  if (keep.length === 0) return okAsync(undefined);
  return ResultAsync.fromPromise(compact(ctx, keep), (cause) => cause)
    .map((done) => {
      if (done)
        ctx.logger?.info({ url: ctx.url, cacheDir: ctx.cacheDir, ...done }, 'git cache compacted');
      return done;
    })
    .orElse((cause) => {
      ctx.logger?.warn(
        { url: ctx.url, cacheDir: ctx.cacheDir, reason: describeCause(cause) },
        'git cache could not be compacted',
      );
      return okAsync(undefined);
    });
}
