/**
 * A carried change: the objects that take a cache from one commit (the base) to another, as a
 * pack of whole entries. Built from any object store (the announcer's checkout, or a node's cache
 * after the elected fetch); read back by a node that checks every object against its name before
 * anything is stored. Pure apart from the object reads it is given.
 */
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { parseCommit, parseTree, type GitObjectType, type RawObject } from './objects';
import { FIRST_ENTRY, parseEntryHeader } from './pack-entry';
import { PackBuilder, objectName, wholeEntry } from './pack-write';

/** Reads an object by name; undefined when the store does not have it. */
export type ReadObject = (oid: string) => Promise<RawObject | undefined>;

const CHECKSUM_BYTES = 20;
const HEADER_MAX = 32;
/** What deflate may add to incompressible data, with room to spare. */
const DEFLATE_SLACK = 1024;
/** git (and isomorphic-git) know this object without storing it. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The pack built, or why none was. */
export type BuiltCarry =
  | { readonly kind: 'built'; readonly pack: Buffer; readonly objects: number }
  | { readonly kind: 'over-cap'; readonly bytes: number }
  | { readonly kind: 'missing'; readonly oid: string; readonly what: 'base' | 'commit' | 'object' };

async function treeOf(read: ReadObject, commit: string): Promise<string | undefined> {
  const object = await read(commit);
  if (object?.type !== 'commit') return undefined;
  const parsed = parseCommit(object.content);
  return typeof parsed === 'string' ? undefined : parsed.tree;
}

/** Every tree and blob of the base's tree (blobs are not read, only named). */
async function reachable(read: ReadObject, root: string): Promise<Set<string> | undefined> {
  const seen = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const tree = pending.pop() as string;
    if (seen.has(tree)) continue;
    seen.add(tree);
    if (tree === EMPTY_TREE) continue;
    const object = await read(tree);
    if (object?.type !== 'tree') return undefined;
    const entries = parseTree(object.content);
    if (typeof entries === 'string') return undefined;
    for (const entry of entries) {
      if (entry.type === 'tree') pending.push(entry.oid);
      else if (entry.type === 'blob') seen.add(entry.oid);
    }
  }
  return seen;
}

/**
 * The pack that completes `commit` for a store holding `base` whole: the commit, and every tree
 * and blob of its tree that the base's tree does not have (a subtree the base has is skipped as a
 * whole). Gitlinks are not ours to carry. Stops as soon as the pack passes `maxBytes`.
 */
export async function buildCarriedPack(
  read: ReadObject,
  base: string,
  commit: string,
  maxBytes: number,
): Promise<BuiltCarry> {
  const commitObject = await read(commit);
  if (commitObject?.type !== 'commit') return { kind: 'missing', oid: commit, what: 'commit' };
  const parsed = parseCommit(commitObject.content);
  if (typeof parsed === 'string') return { kind: 'missing', oid: commit, what: 'commit' };
  const baseTree = await treeOf(read, base);
  if (baseTree === undefined) return { kind: 'missing', oid: base, what: 'base' };
  const known = await reachable(read, baseTree);
  if (known === undefined) return { kind: 'missing', oid: base, what: 'base' };

  const builder = new PackBuilder();
  // The pack's header and checksum, then each entry as it is added.
  let bytes = FIRST_ENTRY + CHECKSUM_BYTES;
  const add = (oid: string, type: GitObjectType, content: Uint8Array): boolean => {
    const entry = wholeEntry(type, content);
    bytes += entry.length;
    builder.add(Buffer.from(oid, 'hex'), entry);
    return bytes <= maxBytes;
  };
  if (!add(commit, 'commit', commitObject.content)) return { kind: 'over-cap', bytes };
  const added = new Set<string>();
  const pending = [parsed.tree];
  while (pending.length > 0) {
    const tree = pending.pop() as string;
    if (known.has(tree) || added.has(tree) || tree === EMPTY_TREE) continue;
    const object = await read(tree);
    if (object?.type !== 'tree') return { kind: 'missing', oid: tree, what: 'object' };
    const entries = parseTree(object.content);
    if (typeof entries === 'string') return { kind: 'missing', oid: tree, what: 'object' };
    added.add(tree);
    if (!add(tree, 'tree', object.content)) return { kind: 'over-cap', bytes };
    for (const entry of entries) {
      if (entry.type === 'tree') pending.push(entry.oid);
      else if (entry.type === 'blob' && !known.has(entry.oid) && !added.has(entry.oid)) {
        const blob = await read(entry.oid);
        if (blob?.type !== 'blob') return { kind: 'missing', oid: entry.oid, what: 'object' };
        added.add(entry.oid);
        if (!add(entry.oid, 'blob', blob.content)) return { kind: 'over-cap', bytes };
      }
    }
  }
  const built = builder.finish();
  return { kind: 'built', pack: built.pack, objects: builder.count };
}

/** The objects of a carried pack, each checked against its name, in the pack's order. */
export interface VerifiedObject {
  readonly oid: string;
  readonly type: GitObjectType;
  readonly content: Buffer;
}

/**
 * Reads a carried pack: version 2, its trailing checksum right, whole entries only (a carried
 * pack never needs another object to be read), each inflating to exactly its declared size, at
 * most `maxContentBytes` in all. Answers the objects with the names they hash to, or what is
 * wrong. Never throws.
 */
export function readCarriedPack(pack: Buffer, maxContentBytes: number): VerifiedObject[] | string {
  if (pack.length < FIRST_ENTRY + CHECKSUM_BYTES) return `${pack.length} bytes is not a pack`;
  if (pack.toString('latin1', 0, 4) !== 'PACK') return 'does not start with PACK';
  if (pack.readUInt32BE(4) !== 2) return `pack version ${pack.readUInt32BE(4)} is not 2`;
  const end = pack.length - CHECKSUM_BYTES;
  const checksum = createHash('sha1').update(pack.subarray(0, end)).digest();
  if (!checksum.equals(pack.subarray(end))) return 'the pack checksum does not match its bytes';
  const count = pack.readUInt32BE(8);
  const objects: VerifiedObject[] = [];
  let at = FIRST_ENTRY;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at >= end) return `the pack ends after ${i} of ${count} entries`;
    const header = parseEntryHeader(pack.subarray(at, Math.min(end, at + HEADER_MAX)), at);
    if (typeof header === 'string') return header;
    if (header.kind !== 'whole') return `entry ${i} is a delta: a carried pack holds whole objects`;
    total += header.size;
    if (total > maxContentBytes) return `the objects inflate past ${maxContentBytes} bytes`;
    const input = pack.subarray(
      header.dataAt,
      Math.min(end, header.dataAt + header.size * 2 + DEFLATE_SLACK),
    );
    let content: Buffer;
    let used: number;
    try {
      const inflated = inflateSync(input, {
        maxOutputLength: Math.max(header.size, 1),
        info: true,
      }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      content = inflated.buffer;
      used = inflated.engine.bytesWritten;
    } catch (cause) {
      return `entry ${i} does not inflate: ${cause instanceof Error ? cause.message : String(cause)}`;
    }
    if (content.length !== header.size)
      return `entry ${i} inflates to ${content.length} bytes, not ${header.size}`;
    objects.push({
      oid: objectName(header.type, content).toString('hex'),
      type: header.type,
      content,
    });
    at = header.dataAt + used;
  }
  if (at !== end) return `${end - at} bytes follow the last entry`;
  return objects;
}

/** The pack to store in the cache for verified objects (whole entries, with its index). */
export function packOf(objects: readonly VerifiedObject[]): {
  pack: Buffer;
  index: Buffer;
  checksum: Buffer;
} {
  const builder = new PackBuilder();
  for (const object of objects)
    builder.add(Buffer.from(object.oid, 'hex'), wholeEntry(object.type, object.content));
  return builder.finish();
}
