import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ANNOUNCEMENT_BYTES,
  formatAnnouncement,
  isRefName,
  parseAnnouncement,
  previewValue,
} from './announcement';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const parse = (text: string) => parseAnnouncement(Buffer.from(text, 'utf8'));
const hex40 = fc.stringMatching(/^[0-9a-fA-F]{40}$/);
const refName = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,11}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('/'))
  .filter((ref) => !/^[0-9a-f]{7,64}$/i.test(ref));

describe('parseAnnouncement', () => {
  it.each([
    [SHA, { revision: SHA, commit: SHA, form: 'sha' }],
    [`  ${SHA.toUpperCase()}\n`, { revision: SHA, commit: SHA, form: 'sha' }],
    ['main', { revision: 'main', ref: 'main', form: 'ref' }],
    ['refs/tags/v1', { revision: 'refs/tags/v1', ref: 'refs/tags/v1', form: 'ref' }],
    [
      JSON.stringify({ commit: SHA, ref: 'main', by: 'jenkins#12', extra: 1 }),
      { revision: SHA, commit: SHA, ref: 'main', by: 'jenkins#12', form: 'json' },
    ],
  ])('reads %j', (text, expected) => {
    expect(parse(text)._unsafeUnwrap()).toEqual(expected);
  });

  it.each([
    ['', 'empty value'],
    ['   \n', 'only whitespace'],
    ['0123456', 'abbreviated SHA'],
    ['main..other', 'neither'],
    ['has space', 'neither'],
    ['refs/heads/x.lock', 'neither'],
    ['{"commit": "main"}', '"commit"'],
    ['{"commit": 1}', '"commit"'],
    [`{"commit": "${SHA}", "ref": "a..b"}`, '"ref"'],
    [`{"commit": "${SHA}", "by": "two\\nlines"}`, '"by"'],
    ['[1,2]', 'neither'],
    ['{not json', 'not valid JSON'],
    ['{}', '"commit"'],
    ['-n', 'neither'],
    ['@', 'neither'],
  ])('refuses %j', (text, reason) => {
    expect(parse(text)._unsafeUnwrapErr().reason).toContain(reason);
  });

  it('refuses bytes that are not UTF-8 and values over the size limit', () => {
    expect(parseAnnouncement(Buffer.from([0x6d, 0xff, 0x6e]))._unsafeUnwrapErr().reason).toBe(
      'not UTF-8 text',
    );
    const big = Buffer.alloc(MAX_ANNOUNCEMENT_BYTES + 1, 0x61);
    expect(parseAnnouncement(big)._unsafeUnwrapErr().reason).toMatch(/longer than/);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const result = parseAnnouncement(bytes);
        expect(result.isOk() || typeof result._unsafeUnwrapErr().reason === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on text that looks almost right', () => {
    const near = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.json().map((j) => j),
      fc
        .record({ commit: fc.oneof(hex40, fc.string()), ref: fc.string(), by: fc.string() })
        .map((r) => JSON.stringify(r)),
      fc.tuple(fc.constantFrom('{', '[', '"', ' '), fc.string()).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(near, (text) => {
        expect(() => parse(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every full SHA in any case and with surrounding whitespace, as lower case', () => {
    fc.assert(
      fc.property(hex40, fc.stringMatching(/^[ \t\r\n]{0,3}$/), (sha, pad) => {
        expect(parse(`${pad}${sha}${pad}`)._unsafeUnwrap()).toEqual({
          revision: sha.toLowerCase(),
          commit: sha.toLowerCase(),
          form: 'sha',
        });
      }),
    );
  });

  it('reads back whatever formatAnnouncement writes', () => {
    fc.assert(
      fc.property(
        hex40,
        fc.option(refName, { nil: undefined }),
        fc.option(fc.stringMatching(/^[ -~]{0,40}$/), { nil: undefined }),
        (commit, ref, by) => {
          const parsed = parse(formatAnnouncement({ commit, ref, by }))._unsafeUnwrap();
          expect(parsed).toEqual({
            revision: commit.toLowerCase(),
            commit: commit.toLowerCase(),
            ...(ref !== undefined && { ref }),
            ...(by !== undefined && { by }),
            form: 'json',
          });
        },
      ),
    );
  });

  it('accepts as a ref exactly what isRefName accepts, outside SHAs and JSON', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const trimmed = text.trim();
        const result = parse(text);
        if (result.isOk() && result.value.form === 'ref') expect(isRefName(trimmed)).toBe(true);
        if (isRefName(trimmed) && !/^[0-9a-f]{7,64}$/i.test(trimmed) && !trimmed.startsWith('{')) {
          expect(result._unsafeUnwrap().form).toBe('ref');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('previewValue', () => {
  it('escapes control bytes and cuts long values', () => {
    expect(previewValue(Buffer.from('a\nb\x00'))).toBe('a\\x0ab\\x00');
    expect(previewValue(Buffer.alloc(100, 0x61))).toBe(`${'a'.repeat(80)}…`);
  });
});
