// The direct `berth name` path's pure parts: which references it sends as they are, and how it
// reads an engine's answer. test/cli-name-fast-path.test.ts runs it against the real engine.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseContainerRef } from '../../core/src/docker/refs';
import {
  DIRECT_PATIENCE_MS,
  DIRECT_REF,
  directPatienceMs,
  parseInspectAnswer,
  remainingMs,
} from './name-direct';

describe('DIRECT_REF', () => {
  it('takes only references the library accepts too', () => {
    const alphabet = 'abcdef0123456789ghzAZ_.-/ :@%\t\n';
    const samples = [
      'web',
      '/web',
      'a',
      'ab',
      '/a',
      '-web',
      '.web',
      'web/db',
      '//web',
      'web ',
      ' web',
      '',
      'f'.repeat(64),
      'f'.repeat(65),
      'web.example_1-2',
    ];
    for (let i = 0; i < 5_000; i++) {
      let ref = '';
      for (let n = randomInt(0, 12); n > 0; n--) ref += alphabet[randomInt(0, alphabet.length)];
      samples.push(ref);
    }
    let taken = 0;
    for (const ref of samples) {
      if (!DIRECT_REF.test(ref)) continue;
      taken++;
      expect(parseContainerRef(ref).isOk(), JSON.stringify(ref)).toBe(true);
    }
    expect(taken).toBeGreaterThan(10);
  });
});

describe('parseInspectAnswer', () => {
  const body = JSON.stringify({ Id: 'f'.repeat(64), Name: '/web', Config: { Labels: {} } });
  const answer = (head: string, rest: string | Buffer) =>
    Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(rest)]);

  it('reads a plain 200, as the engine answers HTTP/1.0', () => {
    expect(
      parseInspectAnswer(answer('HTTP/1.0 200 OK\r\nContent-Type: application/json', body)),
    ).toMatchObject({ Name: '/web' });
  });

  it('reads a chunked body, as a proxy may pass it on', () => {
    const chunked = `5;ext=1\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`;
    expect(
      parseInspectAnswer(answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', chunked)),
    ).toMatchObject({ Name: '/web' });
    expect(
      parseInspectAnswer(answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', `ff\r\n${body}`)),
    ).toBeUndefined();
  });

  it('gives up on anything else: an error status, no container, a cut or foreign answer', () => {
    for (const response of [
      answer('HTTP/1.0 404 Not Found', '{"message":"No such container: web"}'),
      answer('HTTP/1.0 500 Internal Server Error', '{"message":"multiple IDs found"}'),
      answer('HTTP/1.0 200 OK', '{"Id":"x"}'),
      answer('HTTP/1.0 200 OK', 'null'),
      answer('HTTP/1.0 200 OK', body.slice(0, 20)),
      answer('HTTP/1.0 200 OK', '<html>proxy</html>'),
      Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/json'),
      Buffer.from(''),
    ]) {
      expect(parseInspectAnswer(response), response.toString('latin1')).toBeUndefined();
    }
  });
});

describe('the --timeout budget of the direct path and the full lookup after it', () => {
  it('gives the direct attempt at most half of --timeout, and the full lookup what is left', () => {
    expect(directPatienceMs(undefined)).toBe(DIRECT_PATIENCE_MS);
    expect(directPatienceMs(60_000)).toBe(DIRECT_PATIENCE_MS);
    expect(directPatienceMs(1_000)).toBe(500);
    expect(directPatienceMs(300)).toBe(150);
    expect(remainingMs(undefined, 800)).toBeUndefined();
    expect(remainingMs(1_000, 560.2)).toBe(440);
    // Spent already: the full lookup still runs, and says so at once.
    expect(remainingMs(1_000, 5_000)).toBe(1);
  });
});
