import { describe, expect, it } from 'vitest';
import { parseGitUrl } from './url';

describe('parseGitUrl', () => {
  it('reads ssh:// URLs with and without user and port', () => {
    expect(parseGitUrl('ssh://git@example.com:2222/srv/site.git')._unsafeUnwrap()).toEqual({
      transport: 'ssh',
      url: 'ssh://git@example.com:2222/srv/site.git',
      user: 'git',
      host: 'example.com',
      port: 2222,
      path: '/srv/site.git',
    });
    expect(parseGitUrl('ssh://example.com/~/site.git/')._unsafeUnwrap()).toMatchObject({
      user: undefined,
      port: 22,
      path: '~/site.git',
    });
  });

  it("reads git's scp-like form", () => {
    expect(parseGitUrl('deploy@git.example.com:team/site.git')._unsafeUnwrap()).toEqual({
      transport: 'ssh',
      url: 'deploy@git.example.com:team/site.git',
      user: 'deploy',
      host: 'git.example.com',
      port: 22,
      path: 'team/site.git',
    });
    expect(parseGitUrl('127.0.0.1:/srv/site.git')._unsafeUnwrap()).toMatchObject({
      host: '127.0.0.1',
      path: '/srv/site.git',
    });
  });

  it('keeps http(s) URLs and refuses what cannot be fetched', () => {
    expect(parseGitUrl('https://example.com/site.git/')._unsafeUnwrap()).toEqual({
      transport: 'http',
      url: 'https://example.com/site.git',
    });
    expect(parseGitUrl('ftp://example.com/x')._unsafeUnwrapErr()).toContain('not supported');
    expect(parseGitUrl("git@host:it's.git")._unsafeUnwrapErr()).toContain('quote');
    expect(parseGitUrl('ssh://-oProxyCommand=x/y')._unsafeUnwrapErr()).toContain('"-"');
    expect(parseGitUrl('https://u:p@example.com/x.git')._unsafeUnwrapErr()).toContain(
      'credentials',
    );
    expect(parseGitUrl('ssh://u:p@example.com/x.git')._unsafeUnwrapErr()).toContain('password');
  });
});
