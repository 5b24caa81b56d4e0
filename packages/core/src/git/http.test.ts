import { describe, expect, it } from 'vitest';
import { askForThinPack } from './http';

const pkt = (line: string) => {
  const bytes = Buffer.from(line, 'latin1');
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, '0')), bytes]);
};

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('latin1');

describe('askForThinPack', () => {
  it("adds thin-pack to the first want line's capabilities and keeps the rest", () => {
    const oid = 'ab'.repeat(20);
    const body = [
      Buffer.concat([
        pkt(`want ${oid} multi_ack_detailed ofs-delta\n`),
        pkt(`shallow ${oid}\n`),
        Buffer.from('0000'),
        pkt('done\n'),
      ]),
    ];
    expect(text(askForThinPack(body))).toBe(
      text([
        pkt(`want ${oid} multi_ack_detailed ofs-delta thin-pack\n`),
        pkt(`shallow ${oid}\n`),
        Buffer.from('0000'),
        pkt('done\n'),
      ]),
    );
  });

  it('leaves a body alone when it already asks, or is not a want', () => {
    const asks = [pkt(`want ${'ab'.repeat(20)} thin-pack\n`)];
    expect(text(askForThinPack(asks))).toBe(text(asks));
    const other = [pkt('command=ls-refs\n')];
    expect(text(askForThinPack(other))).toBe(text(other));
    const garbage = [Buffer.from('zz')];
    expect(text(askForThinPack(garbage))).toBe('zz');
  });
});
