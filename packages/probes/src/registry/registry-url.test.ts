import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateBases, isLoopbackHost, parseRegistryUrl } from './registry-url';

describe('parseRegistryUrl', () => {
  it.each([
    ['127.0.0.1:5000', { host: '127.0.0.1:5000', port: 5000, loopback: true }],
    ['localhost:5000', { host: 'localhost:5000', loopback: true }],
    [
      'https://Registry.Example.com',
      { host: 'registry.example.com', scheme: 'https', loopback: false },
    ],
    ['http://127.0.0.1:5080/v2/', { host: '127.0.0.1:5080', scheme: 'http', loopback: true }],
    ['127.0.0.1:443', { host: '127.0.0.1:443', port: 443 }],
    ['[::1]:5000', { host: '[::1]:5000', loopback: true }],
    ['10.0.0.7:5000', { host: '10.0.0.7:5000', loopback: false }],
  ])('reads %s', (input, expected) => {
    expect(parseRegistryUrl(input)._unsafeUnwrap()).toMatchObject(expected);
  });

  it.each([
    'ftp://host',
    'https://user:secret@host',
    'host:5000/some/path',
    'host?x=1',
    'a b',
    '',
    'https://',
    'host_name:5000',
    'host:99999',
  ])('refuses %j', (input) => {
    expect(parseRegistryUrl(input)._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'url',
    });
  });

  it('never throws, and answers a checked target or InvalidInput for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.anything()), (input) => {
        const result = parseRegistryUrl(input);
        if (result.isOk()) {
          expect(result.value.host.length).toBeGreaterThan(0);
          expect(result.value.host).not.toMatch(/[\s/@?#]/);
          expect(result.value.loopback).toBe(isLoopbackHost(result.value.hostname));
        } else {
          expect(result.error.kind).toBe('InvalidInput');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back the host and port it was given', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 65535 }),
        (labels, port) => {
          const host = labels.join('.');
          // A last label that is a number (decimal, or hex as `0x…`, even a bare `0x`) makes the
          // host an IPv4 address to a URL parser (WHATWG's "ends in a number").
          fc.pre(!/(^|\.)(\d+|0x[0-9a-f]*)$/i.test(host));
          expect(parseRegistryUrl(`${host}:${port}`)._unsafeUnwrap()).toMatchObject({
            hostname: host,
            port,
            host: `${host}:${port}`,
          });
        },
      ),
    );
  });
});

describe('candidateBases', () => {
  const target = (input: string) => parseRegistryUrl(input)._unsafeUnwrap();
  it('tries HTTPS first and plain HTTP only for loopback or an insecure registry', () => {
    expect(candidateBases(target('127.0.0.1:5000'), false)).toEqual([
      'https://127.0.0.1:5000',
      'http://127.0.0.1:5000',
    ]);
    expect(candidateBases(target('registry.example.com'), false)).toEqual([
      'https://registry.example.com',
    ]);
    expect(candidateBases(target('registry.example.com:5000'), true)).toEqual([
      'https://registry.example.com:5000',
      'http://registry.example.com:5000',
    ]);
    expect(candidateBases(target('http://registry.example.com'), false)).toEqual([]);
    expect(candidateBases(target('https://127.0.0.1:5443'), false)).toEqual([
      'https://127.0.0.1:5443',
    ]);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['localhost', true],
    ['[::1]', true],
    ['[::ffff:7f00:1]', true],
    ['128.0.0.1', false],
    ['example.com', false],
    ['localhost.example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
