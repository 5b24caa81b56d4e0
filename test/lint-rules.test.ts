// The lint rule that keeps Results from being dropped is a check that must be able to fail.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('berth/must-use-result', () => {
  it('flags a dropped Result and an un-awaited ResultAsync, and accepts handled ones', async () => {
    // The fixture is in the lint ignores (it is wrong on purpose); `ignore: false` lints it here.
    const eslint = new ESLint({ cwd: root, ignore: false });
    const [report] = await eslint.lintFiles([join(root, 'test/fixtures/lint/dropped-results.ts')]);
    expect(report?.messages.filter((m) => m.fatal)).toEqual([]);
    const hits = (report?.messages ?? [])
      .filter(
        (m) =>
          m.ruleId === 'berth/must-use-result' ||
          m.ruleId === '@typescript-eslint/no-floating-promises',
      )
      .map((m) => `${m.line}:${m.ruleId}`);
    expect(hits.sort()).toEqual(
      [
        '6:berth/must-use-result',
        '7:@typescript-eslint/no-floating-promises',
        '7:berth/must-use-result',
        '8:berth/must-use-result',
      ].sort(),
    );
  });
});

describe('berth/no-iterated-result', () => {
  it('flags for-of, spread and destructuring of a Result, and accepts its unwrapped value', async () => {
    const eslint = new ESLint({ cwd: root, ignore: false });
    const [report] = await eslint.lintFiles([join(root, 'test/fixtures/lint/iterated-results.ts')]);
    expect(report?.messages.filter((m) => m.fatal)).toEqual([]);
    const hits = (report?.messages ?? [])
      .filter((m) => m.ruleId === 'berth/no-iterated-result')
      .map((m) => m.line);
    expect(hits.sort((a, b) => a - b)).toEqual([7, 8, 9, 10]);
  });
});
