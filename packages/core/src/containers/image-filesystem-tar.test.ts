import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tarBuffer, type TarEntry } from '../util/tar';
import { TarReader, type TarEntryHeader } from './image-filesystem-tar';

function readAll(
  archive: Buffer,
  splits: number[] = [],
  wantContent = (h: TarEntryHeader) => h.type === 'file',
  max?: number,
) {
  const seen: { header: TarEntryHeader; content?: string }[] = [];
  const reader = new TarReader(
    (header, content) => seen.push({ header, ...(content && { content: content.toString() }) }),
    wantContent,
    max,
  );
  let at = 0;
  for (const cut of [...splits].sort((a, b) => a - b)) {
    reader.push(archive.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  reader.push(archive.subarray(at));
  return { seen, whole: reader.end() };
}

const entries: TarEntry[] = [
  { path: 'usr', type: 'directory' },
  { path: 'usr/bin/gcc-12', type: 'file', content: 'ELF…', mode: 0o755 },
  { path: 'usr/bin/gcc', type: 'symlink', target: 'gcc-12' },
  { path: `opt/${'deep/'.repeat(30)}cc1`, type: 'file', content: 'long name' },
];

describe('TarReader', () => {
  it('reads names, types, modes, link targets and content, PAX long names included', () => {
    const { seen, whole } = readAll(tarBuffer(entries));
    expect(whole).toBe(true);
    expect(seen.map((s) => [s.header.name, s.header.type])).toEqual([
      ['usr', 'directory'],
      ['usr/bin/gcc-12', 'file'],
      ['usr/bin/gcc', 'symlink'],
      [`opt/${'deep/'.repeat(30)}cc1`, 'file'],
    ]);
    expect(seen[1]).toMatchObject({ header: { mode: 0o755, size: 6 }, content: 'ELF…' });
    expect(seen[2]?.header.linkTarget).toBe('gcc-12');
  });

  it('keeps no content it was not asked for, and cuts content at the limit', () => {
    const none = readAll(tarBuffer(entries), [], () => false);
    expect(none.seen.every((s) => s.content === undefined)).toBe(true);
    const cut = readAll(tarBuffer(entries), [], () => true, 3);
    expect(cut.seen[1]?.content).toBe('ELF');
  });

  it('says when an archive ends early', () => {
    const archive = tarBuffer(entries);
    expect(readAll(archive.subarray(0, 700)).whole).toBe(false);
  });

  it('gives the same entries however the stream is cut into chunks', () => {
    const archive = tarBuffer(entries);
    const expected = readAll(archive).seen;
    fc.assert(
      fc.property(fc.array(fc.nat({ max: archive.length }), { maxLength: 20 }), (splits) => {
        expect(readAll(archive, splits).seen).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        expect(() => readAll(Buffer.from(bytes))).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
