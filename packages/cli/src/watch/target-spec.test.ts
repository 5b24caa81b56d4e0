import { describe, expect, it } from 'vitest';
import { parseTargetSpec } from './target-spec';

describe('parseTargetSpec', () => {
  it('reads container and directory targets, and marks configuration folders', () => {
    expect(parseTargetSpec('site/=container:www-content:/www')._unsafeUnwrap()).toEqual({
      kind: 'container',
      subdir: 'site/',
      container: 'www-content',
      path: '/www',
      role: 'content',
    });
    expect(parseTargetSpec('nginx=dir:/etc/nginx/', ['nginx/'])._unsafeUnwrap()).toEqual({
      kind: 'dir',
      subdir: 'nginx',
      path: '/etc/nginx',
      role: 'configuration',
    });
    expect(parseTargetSpec('=dir:/srv/www')._unsafeUnwrap()).toMatchObject({
      subdir: '',
      path: '/srv/www',
    });
  });

  it.each(['site', 'site=ftp:/x', 'site=dir:relative', 'site=container:/www', '../up=dir:/x'])(
    'refuses %s',
    (text) => {
      expect(parseTargetSpec(text).isErr()).toBe(true);
    },
  );
});
