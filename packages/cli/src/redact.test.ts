import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact';

describe('createRedactor', () => {
  it('hides the password of any URL userinfo, keeps the user, leaves a user alone', () => {
    const redact = createRedactor({});
    expect(redact('at https://ci:p%40ss@registry:5000/v2/ and tcp://u:x@127.0.0.1:2376')).toBe(
      'at https://ci:***@registry:5000/v2/ and tcp://u:***@127.0.0.1:2376',
    );
    expect(redact('ssh://git@host/repo.git')).toBe('ssh://git@host/repo.git');
    expect(redact(JSON.stringify({ url: 'http://a:b@h' }))).toBe('{"url":"http://a:***@h"}');
  });

  it("hides secret variables' values, not their ordinary values or paths", () => {
    const redact = createRedactor({
      BERTH_GIT_PASSWORD: 'hunter22',
      FEATURE_TOKEN_ON: 'true',
      TOKEN_FILE: '/run/secrets/token',
      HOME: '/root',
    });
    expect(redact('hunter22 true /run/secrets/token /root')).toBe(
      '*** true /run/secrets/token /root',
    );
  });

  it('hides secrets added later, the longest first', () => {
    const redact = createRedactor({});
    redact.add('abcd');
    redact.add('abcdef\n');
    expect(redact('abcdef abcd')).toBe('*** ***');
  });
});
