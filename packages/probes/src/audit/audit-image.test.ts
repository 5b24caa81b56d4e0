import { describe, expect, it } from 'vitest';
import { runOneShotContainer } from '@berth/core';
import { clientOf } from '../../../core/src/docker/connection';
import { useTestDocker } from '../../../../test/support/docker';
import { buildHostImage } from '../../test/support/host-image';
import { auditImage } from './audit-image';

const t = useTestDocker();
const CC1 = '/usr/lib/gcc/x86_64-linux-gnu/12/cc1';

describe('auditImage on images built here from host binaries (no shell in either)', () => {
  it('finds a real compiler, make and git with their paths, without running the image', async () => {
    const image = `berth-test/audit-compiler:${t.runId}`;
    await buildHostImage(image, t.labels, {
      binaries: [['/usr/bin/gcc-12'], [CC1], ['/usr/bin/make'], ['/usr/bin/git']],
      symlinks: { '/usr/bin/gcc': 'gcc-12' },
    });
    // A real compiler: it runs in the image.
    const version = await runOneShotContainer(t.docker, {
      image,
      command: ['/usr/bin/gcc', '--version'],
      labels: t.labels,
      pull: 'never',
    });
    expect(version._unsafeUnwrap()).toMatchObject({
      exitCode: 0,
      stdout: expect.stringMatching(/^gcc/),
    });

    const audit = (await auditImage(t.docker, image, { labels: t.labels }))._unsafeUnwrap();
    expect(audit.imageId).toMatch(/^sha256:/);
    const byId = Object.fromEntries(audit.toolchains.map((h) => [h.id, h.paths]));
    expect(byId).toEqual({
      gcc: ['/usr/bin/gcc', '/usr/bin/gcc-12', CC1],
      make: ['/usr/bin/make'],
      git: ['/usr/bin/git'],
    });
    expect(audit.packageManagers).toEqual([]);
    expect(audit.findings.map((f) => `${f.severity} ${f.id} ${f.tool}`)).toEqual([
      'warn image.toolchain-present gcc',
      'warn image.toolchain-present make',
      'warn image.toolchain-present git',
    ]);
    const filters = JSON.stringify({ label: [`io.berth.test-run=${t.runId}`] });
    expect(await clientOf(t.docker).listContainers({ all: true, filters })).toEqual([]);
  });

  it('finds nothing in an image without a toolchain, and the whole filesystem can be listed', async () => {
    const image = `berth-test/audit-plain:${t.runId}`;
    await buildHostImage(image, t.labels, {
      binaries: [['/bin/busybox', '/bin/app']],
      files: { '/etc/app.conf': 'x=1\n' },
    });
    for (const wholeFilesystem of [false, true]) {
      const audit = (
        await auditImage(t.docker, image, { labels: t.labels, wholeFilesystem })
      )._unsafeUnwrap();
      expect(audit.findings).toEqual([]);
      expect(audit.toolchains).toEqual([]);
    }
  });

  it('sees busybox applets for what they are', async () => {
    const audit = (
      await auditImage(t.docker, 'berth-test/busybox:1', { labels: t.labels })
    )._unsafeUnwrap();
    expect(audit.toolchains).toEqual([]);
    expect(audit.packageManagers.map((h) => [h.id, h.busyboxApplet])).toEqual(
      expect.arrayContaining([
        ['apt', true],
        ['rpm', true],
      ]),
    );
  });

  it('reports an image the engine does not have as NotFound', async () => {
    const result = await auditImage(t.docker, `berth-test/no-such-image:${t.runId}`, {
      labels: t.labels,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'NotFound', resource: 'image' });
  });
});
