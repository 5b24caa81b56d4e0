/**
 * git's delta format (the data of an OFS_DELTA or REF_DELTA pack entry): the base's size and the
 * target's size as little-endian base-128 numbers, then instructions that either copy a range of
 * the base or insert literal bytes.
 */
import { constants } from 'node:buffer';

/** Bit 7 set: copy from the base; the low 7 bits say which offset and size bytes follow. */
const COPY = 0x80;
/** A copy whose size bytes are all absent (or zero) copies this much. */
const DEFAULT_COPY_SIZE = 0x10000;

/** The size header at `at`, and where the next field starts; undefined when truncated. */
function sizeAt(delta: Uint8Array, at: number): { size: number; next: number } | undefined {
  let size = 0;
  let factor = 1;
  for (let i = at; i < delta.length; i++) {
    const byte = delta[i] as number;
    size += (byte & 0x7f) * factor;
    factor *= 128;
    if ((byte & 0x80) === 0) return { size, next: i + 1 };
    if (factor > 2 ** 56) return undefined;
  }
  return undefined;
}

/**
 * The object `delta` makes from `base`, or a description of what is wrong: a base of another
 * size than the delta expects, an instruction reaching past either buffer, the reserved
 * instruction 0, or a result of another size than the header says.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array): Buffer | string {
  const source = sizeAt(delta, 0);
  const target = source && sizeAt(delta, source.next);
  if (!source || !target) return 'delta header is truncated';
  if (source.size !== base.length) {
    return `delta expects a base of ${source.size} bytes, the base has ${base.length}`;
  }
  if (target.size > constants.MAX_LENGTH) return `delta makes ${target.size} bytes: too large`;
  const out = Buffer.allocUnsafe(target.size);
  let written = 0;
  let at = target.next;
  while (at < delta.length) {
    const instruction = delta[at++] as number;
    if (instruction & COPY) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 7; i++) {
        if ((instruction & (1 << i)) === 0) continue;
        if (at >= delta.length) return 'delta copy instruction is truncated';
        const byte = delta[at++] as number;
        if (i < 4) offset += byte * 2 ** (8 * i);
        else size += byte * 2 ** (8 * (i - 4));
      }
      if (size === 0) size = DEFAULT_COPY_SIZE;
      if (offset + size > base.length) {
        return `delta copies bytes ${offset}..${offset + size} of a ${base.length}-byte base`;
      }
      if (written + size > target.size) return `delta writes past its ${target.size} bytes`;
      out.set(base.subarray(offset, offset + size), written);
      written += size;
    } else if (instruction !== 0) {
      if (at + instruction > delta.length) return 'delta insert instruction is truncated';
      if (written + instruction > target.size) return `delta writes past its ${target.size} bytes`;
      out.set(delta.subarray(at, at + instruction), written);
      at += instruction;
      written += instruction;
    } else {
      return 'delta uses the reserved instruction 0';
    }
  }
  if (written !== target.size) {
    return `delta makes ${written} bytes, its header says ${target.size}`;
  }
  return out;
}
