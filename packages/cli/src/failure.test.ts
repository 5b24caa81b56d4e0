import { describeCause as libraryDescribeCause } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { describeCause } from './failure';

describe("the CLI's describeCause", () => {
  it("says of every cause what the library's says", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const causes: unknown[] = [
      new Error('boom'),
      new TypeError(''),
      'text',
      { statusCode: 404 },
      undefined,
      null,
      42,
      10n,
      cycle,
    ];
    for (const cause of causes) expect(describeCause(cause)).toBe(libraryDescribeCause(cause));
  });
});
