import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKernelTables } from './storage-facts';
import { parseEngineVersion, parseKernelVersion } from './versions';

describe('parseKernelTables', () => {
  it('reads filesystems, then block devices, from cat /proc/filesystems /proc/devices', () => {
    const text = [
      'nodev\tsysfs',
      'nodev\toverlay',
      '\text4',
      '\tbtrfs',
      'Character devices:',
      '  1 mem',
      ' 10 misc',
      '',
      'Block devices:',
      '  7 loop',
      '253 device-mapper',
      '259 blkext',
    ].join('\n');
    expect(parseKernelTables(text)).toEqual({
      filesystems: ['sysfs', 'overlay', 'ext4', 'btrfs'],
      blockDevices: ['loop', 'device-mapper', 'blkext'],
    });
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseKernelTables(text)));
  });
});

describe('versions', () => {
  it.each([
    ['3.10.0-514.el7.x86_64', { major: 3, minor: 10, patch: 0, rhelBuild: 514 }],
    ['6.18.44-fc-v782', { major: 6, minor: 18, patch: 44 }],
    ['4.0', { major: 4, minor: 0, patch: 0 }],
  ])('kernel %s', (text, expected) => {
    expect(parseKernelVersion(text)).toEqual(expected);
  });

  it.each([
    ['20.10.24+dfsg1', { major: 20, minor: 10 }],
    ['17.03.1-ce', { major: 17, minor: 3 }],
    ['1.12.6', { major: 1, minor: 12 }],
    ['dev', undefined],
  ])('engine %s', (text, expected) => {
    expect(parseEngineVersion(text)).toEqual(expected);
  });
});
