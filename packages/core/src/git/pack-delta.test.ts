import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyDelta } from './pack-delta';

function size(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A copy instruction, with only the non-zero offset and size bytes present (as git writes it). */
function copy(offset: number, length: number): number[] {
  let instruction = 0x80;
  const args: number[] = [];
  for (let i = 0; i < 4; i++) {
    const byte = Math.floor(offset / 2 ** (8 * i)) & 0xff;
    if (byte === 0) continue;
    instruction |= 1 << i;
    args.push(byte);
  }
  for (let i = 0; i < 3; i++) {
    const byte = (length >> (8 * i)) & 0xff;
    if (byte === 0) continue;
    instruction |= 0x10 << i;
    args.push(byte);
  }
  return [instruction, ...args];
}

const insert = (text: string) => [text.length, ...Buffer.from(text)];

function delta(base: number, target: number, ...instructions: number[][]): Buffer {
  return Buffer.from([...size(base), ...size(target), ...instructions.flat()]);
}

describe('applyDelta', () => {
  it('copies ranges of the base and inserts literals, in order', () => {
    const base = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(
      applyDelta(base, delta(base.length, 24, copy(0, 4), insert('slow'), copy(15, 16))),
    ).toEqual(Buffer.from('The slow fox jumps over '));
  });

  it('reads multi-byte offsets and sizes, and a copy without size bytes as 64 KiB', () => {
    const base = randomBytes(0x30000);
    const expected = Buffer.concat([
      base.subarray(0x12345, 0x12345 + 0x10000),
      base.subarray(0x20001, 0x20001 + 0x1f0),
      Buffer.from('!'),
    ]);
    const out = applyDelta(
      base,
      delta(
        base.length,
        expected.length,
        copy(0x12345, 0x10000),
        copy(0x20001, 0x1f0),
        insert('!'),
      ),
    );
    // As hex: comparing 64 KiB buffers element by element is slow.
    expect(typeof out === 'string' ? out : out.toString('hex')).toBe(expected.toString('hex'));
  });

  it('makes an empty object from an empty delta body', () => {
    expect(applyDelta(Buffer.from('abc'), delta(3, 0))).toEqual(Buffer.alloc(0));
  });

  it.each([
    ['a base of another size', delta(4, 3, copy(0, 3)), /expects a base of 4 bytes/],
    ['a copy past the base', delta(3, 4, copy(1, 3)), /copies bytes 1\.\.4/],
    ['a copy past the target', delta(3, 2, copy(0, 3)), /writes past its 2 bytes/],
    ['an insert past the target', delta(3, 1, insert('xy')), /writes past its 1 bytes/],
    ['a truncated insert', delta(3, 5, [5, 0x41]), /insert instruction is truncated/],
    ['a truncated copy', delta(3, 3, [0x91, 0]), /copy instruction is truncated/],
    ['the reserved instruction 0', delta(3, 3, [0]), /reserved instruction 0/],
    [
      'a result shorter than its header',
      delta(3, 5, copy(0, 3)),
      /makes 3 bytes, its header says 5/,
    ],
    ['a truncated header', Buffer.from([0x83]), /header is truncated/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(applyDelta(Buffer.from('abc'), bytes)).toMatch(message);
  });
});
