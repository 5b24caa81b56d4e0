import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChallenges, registryAuthOf } from './challenge';

const plain = (header: string) =>
  parseChallenges(header).map((c) => ({ ...c, params: { ...c.params } }));

describe('parseChallenges', () => {
  it.each([
    ['Basic realm="Registry realm"', [{ scheme: 'basic', params: { realm: 'Registry realm' } }]],
    [
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/site:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example.com/token',
            service: 'registry.example.com',
            scope: 'repository:team/site:pull',
          },
        },
      ],
    ],
    [
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
      [
        { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
        { scheme: 'basic', params: { realm: 'simple' } },
      ],
    ],
    [
      'Negotiate abc123+/==, Basic',
      [
        { scheme: 'negotiate', params: {}, token68: 'abc123+/==' },
        { scheme: 'basic', params: {} },
      ],
    ],
    ['BASIC REALM = "spaced" ', [{ scheme: 'basic', params: { realm: 'spaced' } }]],
    ['Basic realm="a", realm="b"', [{ scheme: 'basic', params: { realm: 'a' } }]],
    ['', []],
    [',,, ,', []],
    ['"unquoted garbage Basic realm=x', []],
    ['"quoted", Basic realm=x', [{ scheme: 'basic', params: { realm: 'x' } }]],
  ])('reads %j', (header, expected) => {
    expect(plain(header)).toEqual(expected);
  });

  it('reads several header values as one list', () => {
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });

  it('keeps a parameter named like an Object.prototype member as data', () => {
    const [challenge] = parseChallenges('Basic __proto__="x", constructor=y');
    expect(challenge?.params.__proto__).toBe('x');
    expect(challenge?.params.constructor).toBe('y');
  });

  it('never throws on any header, and always answers typed challenges', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.string())),
        (header) => {
          const challenges = parseChallenges(header);
          for (const c of challenges) {
            expect(c.scheme).toMatch(/^[!#$%&'*+.^_`|~0-9a-z-]+$/);
            for (const [name, value] of Object.entries(c.params)) {
              expect(typeof name).toBe('string');
              expect(typeof value).toBe('string');
            }
          }
          expect(['none', 'basic', 'bearer', 'other']).toContain(registryAuthOf(challenges).type);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads back any challenge list it is given in RFC 7235 form', () => {
    const token = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,10}$/);
    const value = fc.string({ maxLength: 20 }).filter((v) => !/[\p{Cc}]/u.test(v));
    const challenge = fc.record({
      scheme: token,
      params: fc.uniqueArray(fc.tuple(token, value), {
        selector: ([k]) => k.toLowerCase(),
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (list) => {
        const header = list
          .map(({ scheme, params }) =>
            [scheme, params.map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`).join(', ')]
              .filter(Boolean)
              .join(' '),
          )
          .join(', ');
        expect(plain(header)).toEqual(
          list.map(({ scheme, params }) => ({
            scheme: scheme.toLowerCase(),
            params: Object.fromEntries(params.map(([k, v]) => [k.toLowerCase(), v])),
          })),
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('registryAuthOf', () => {
  it('prefers Bearer, then Basic, and says none for no challenge', () => {
    expect(
      registryAuthOf(parseChallenges('Basic realm="r", Bearer realm="https://t",service="s"')),
    ).toEqual({
      type: 'bearer',
      realm: 'https://t',
      service: 's',
    });
    expect(registryAuthOf(parseChallenges('Basic realm="r"'))).toEqual({
      type: 'basic',
      realm: 'r',
    });
    expect(registryAuthOf(parseChallenges('Digest nonce="n"'))).toEqual({
      type: 'other',
      scheme: 'digest',
    });
    expect(registryAuthOf([])).toEqual({ type: 'none' });
  });
});
