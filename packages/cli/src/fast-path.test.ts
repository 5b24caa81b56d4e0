import { describe, expect, it } from 'vitest';
import { fastNameCall } from './fast-path';

describe('fastNameCall', () => {
  it('takes name, its refs and the options it reads as commander does', () => {
    expect(fastNameCall(['name', 'a', 'b', '--json', '-q'], {})).toEqual({
      refs: ['a', 'b'],
      globals: { json: true, quiet: true, timeoutMs: undefined, dockerHost: undefined },
      flags: {},
    });
    expect(
      fastNameCall(
        ['--docker-host', 'unix:///x.sock', 'name', '--timeout=2s', '--leading-slash', 'a'],
        {},
      ),
    ).toEqual({
      refs: ['a'],
      globals: { json: false, quiet: false, timeoutMs: 2000, dockerHost: 'unix:///x.sock' },
      flags: { leadingSlash: true },
    });
    expect(
      fastNameCall(['name', 'a'], { BERTH_QUIET: 'no', BERTH_DOCKER_HOST: 'tcp://h:1' }),
    ).toEqual({
      refs: ['a'],
      globals: { json: false, quiet: false, timeoutMs: undefined, dockerHost: 'tcp://h:1' },
      flags: {},
    });
  });

  it.each([
    [['name']],
    [['name', '--help']],
    [['name', 'a', '--', 'b']],
    [['name', 'a', '--unknown']],
    [['--leading-slash', 'name', 'a']],
    [['name', 'a', '--timeout', 'soon']],
    [['name', 'a', '--docker-host']],
    [['name', 'a', '-qV']],
    [['help', 'name']],
    [['publish', 'a']],
    [[]],
  ])('leaves %j to the full program', (argv) => {
    expect(fastNameCall(argv, {})).toBeUndefined();
  });

  it('leaves a malformed BERTH_ variable to the full program, which refuses it', () => {
    expect(fastNameCall(['name', 'a'], { BERTH_JSON: 'maybe' })).toBeUndefined();
    expect(fastNameCall(['name', 'a'], { BERTH_TIMEOUT: 'soon' })).toBeUndefined();
  });
});
