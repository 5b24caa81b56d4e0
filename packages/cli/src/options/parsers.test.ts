import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectEndpoints, collectLabel, parseDuration, parsePositiveInt } from './parsers';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['10', 10_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5x', '0s', '0', '-1s', '1s 2s', 's'])(
    'refuses %j as a usage error',
    (text) => {
      expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    },
  );
});

describe('parsePositiveInt', () => {
  it('reads whole numbers of at least 1', () => {
    expect(parsePositiveInt('3')).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'three', ''])('refuses %j', (text) => {
    expect(() => parsePositiveInt(text)).toThrow(InvalidArgumentError);
  });
});

describe('collectLabel', () => {
  it('collects repeated key=value pairs, a bare key as an empty value, = inside the value', () => {
    const labels = ['team=web', 'flag', 'expr=a=b'].reduce<Record<string, string>>(
      (all, value) => collectLabel(value, all),
      {},
    );
    expect(labels).toEqual({ team: 'web', flag: '', expr: 'a=b' });
  });

  it('refuses a label without a key', () => {
    expect(() => collectLabel('=web')).toThrow(InvalidArgumentError);
  });
});

describe('collectEndpoints', () => {
  it('splits commas and collects repeats', () => {
    expect(
      collectEndpoints('http://b:2379', collectEndpoints('http://a:2379, http://c:2379')),
    ).toEqual(['http://a:2379', 'http://c:2379', 'http://b:2379']);
  });

  it('refuses an empty list', () => {
    expect(() => collectEndpoints(' , ')).toThrow(InvalidArgumentError);
  });
});
