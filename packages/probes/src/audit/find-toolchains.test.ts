import type { ImageFileEntry } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { imageFindings } from './audit-image';
import { findToolchains } from './find-toolchains';

const file = (path: string, mode = 0o755): ImageFileEntry => ({
  path,
  type: 'file',
  size: 1,
  mode,
});
const link = (path: string, linkTarget: string): ImageFileEntry => ({
  path,
  type: 'symlink',
  size: 0,
  mode: 0o777,
  linkTarget,
});

describe('findToolchains', () => {
  it('finds a Debian build-essential image by its files', () => {
    const hits = findToolchains([
      file('/usr/bin/gcc-12'),
      link('/usr/bin/gcc', 'gcc-12'),
      link('/usr/bin/x86_64-linux-gnu-gcc-12', 'gcc-12'),
      file('/usr/lib/gcc/x86_64-linux-gnu/12/cc1'),
      file('/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus'),
      link('/usr/bin/cc', '/etc/alternatives/cc'),
      file('/usr/bin/x86_64-linux-gnu-ld.bfd'),
      file('/usr/bin/make'),
      file('/usr/bin/git'),
      file('/usr/bin/apt-get'),
      file('/usr/bin/dpkg'),
      file('/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a', 0o644),
      file('/usr/share/doc/make/README', 0o644),
      file('/usr/local/go/bin/go'),
      file('/root/.cargo/bin/cargo'),
      file('/usr/lib/jvm/java-17-openjdk-amd64/bin/javac'),
      file('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    ]);
    const byId = Object.fromEntries(hits.map((h) => [h.id, h]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        'apt',
        'binutils',
        'cc',
        'g++',
        'gcc',
        'git',
        'go',
        'java-build',
        'make',
        'node-gyp',
        'rust',
      ].sort(),
    );
    expect(byId.gcc?.paths).toEqual([
      '/usr/bin/gcc',
      '/usr/bin/gcc-12',
      '/usr/bin/x86_64-linux-gnu-gcc-12',
      '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
    ]);
    expect(byId.apt?.kind).toBe('package-manager');
  });

  it('does not count names outside bin directories, or files that cannot run', () => {
    expect(
      findToolchains([file('/usr/share/make'), file('/usr/bin/gcc', 0o644), file('/etc/git')]),
    ).toEqual([]);
  });

  it('marks busybox applets as such', () => {
    const [hit] = findToolchains(
      [link('/bin/dpkg', 'busybox'), link('/bin/rpm', '/bin/busybox')].slice(0, 1),
    );
    expect(hit).toMatchObject({ id: 'apt', busyboxApplet: true });
  });
});

describe('imageFindings', () => {
  it('gives toolchains as warnings and package managers as information, each with a fix', () => {
    const hits = findToolchains([file('/usr/bin/make'), file('/sbin/apk')]);
    const findings = imageFindings(
      hits.filter((h) => h.kind !== 'package-manager'),
      hits.filter((h) => h.kind === 'package-manager'),
    );
    expect(findings.map((f) => [f.id, f.severity, f.tool])).toEqual([
      ['image.toolchain-present', 'warn', 'make'],
      ['image.package-manager-present', 'info', 'apk'],
    ]);
    expect(findings.every((f) => f.fix)).toBe(true);
  });
});
