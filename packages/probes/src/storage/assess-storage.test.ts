import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessStorage, STORAGE_FINDING_IDS } from './assess-storage';
import { STORAGE_DRIVERS } from './drivers';
import type { StorageFacts } from './storage-facts';

const dir = join(import.meta.dirname, '../../test/fixtures/storage');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      description: string;
      facts: StorageFacts;
      expected: string[];
      recommendation: string;
    }),
  }));
const byFile = (file: string) =>
  fixtures.find((f) => f.file === `${file}.json`)?.facts as StorageFacts;

describe('assessStorage', () => {
  it('is proven on at least eight recorded fact sets', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const assessment = assessStorage(fixture.facts);
    expect(assessment.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(fixture.expected);
    expect(assessment.recommendation.driver).toBe(fixture.recommendation);
    expect(assessment.drivers.map((d) => d.driver)).toEqual([...STORAGE_DRIVERS]);
    for (const finding of assessment.findings) {
      expect(STORAGE_FINDING_IDS).toContain(finding.id);
      if (finding.severity !== 'info') expect(finding.fix).toBeTruthy();
    }
  });

  it('says which drivers this kernel and this engine support, and which one is in use', () => {
    const drivers = assessStorage(byFile('ubuntu-14.04-aufs')).drivers;
    expect(drivers.find((d) => d.driver === 'aufs')).toMatchObject({
      inUse: true,
      usable: true,
      engine: 'supported',
    });
    expect(drivers.find((d) => d.driver === 'overlay2')).toMatchObject({
      kernel: 'too-old',
      engine: 'too-old',
      usable: false,
    });
    expect(drivers.find((d) => d.driver === 'overlay')).toMatchObject({ kernel: 'too-old' });
    const docker25 = assessStorage(byFile('docker-25-requested-devicemapper')).drivers;
    expect(docker25.find((d) => d.driver === 'devicemapper')).toMatchObject({
      kernel: 'supported',
      engine: 'removed',
      usable: false,
    });
    expect(docker25.find((d) => d.driver === 'aufs')).toMatchObject({ engine: 'removed' });
  });

  it('accepts overlay2 on RHEL 3.10.0-514 and later, but not on plain 3.x kernels', () => {
    const centos = byFile('centos-7.3-overlay2');
    const judge = (kernelVersion: string) =>
      assessStorage({ ...centos, kernelVersion }).drivers.find((d) => d.driver === 'overlay2')
        ?.kernel;
    expect(judge('3.10.0-514.el7.x86_64')).toBe('supported');
    expect(judge('3.10.0-327.el7.x86_64')).toBe('too-old');
    expect(judge('3.19.0-15-generic')).toBe('too-old');
    expect(judge('4.0.0')).toBe('supported');
    expect(
      assessStorage({ ...centos, kernelVersion: '3.10.0-327.el7.x86_64' }).findings[0],
    ).toMatchObject({
      id: 'storage.overlay-kernel-too-old',
      severity: 'critical',
    });
  });

  it('judges drivers it cannot see the kernel for as unknown, and says so', () => {
    const facts = { ...byFile('centos-7.3-overlay2') };
    delete (facts as { kernelFilesystems?: unknown }).kernelFilesystems;
    delete (facts as { kernelBlockDevices?: unknown }).kernelBlockDevices;
    const assessment = assessStorage({ ...facts, kernelTablesError: 'image busybox not found' });
    expect(assessment.drivers.find((d) => d.driver === 'aufs')?.kernel).toBe('unknown');
    expect(assessment.findings.map((f) => f.id)).toContain('storage.kernel-unknown');
    expect(assessment.recommendation.driver).toBe('overlay2');
  });

  it('keeps a driver in use that has no problem, and says how sure it is and why', () => {
    const aufs = assessStorage(byFile('ubuntu-14.04-aufs')).recommendation;
    expect(aufs).toMatchObject({ driver: 'aufs', action: 'keep', confidence: 'high', steps: [] });
    expect(aufs.because).toEqual(expect.arrayContaining(['aufs is in use', 'Docker 1.6.2']));
  });

  it('keeps overlay2 over xfs without ftype and says to reformat, never vfs or devicemapper', () => {
    const { recommendation, findings } = assessStorage(byFile('xfs-without-ftype'));
    expect(recommendation).toMatchObject({ driver: 'overlay2', action: 'fix' });
    expect(recommendation.steps[0]).toMatch(/mkfs\.xfs -n ftype=1/);
    expect(findings.find((f) => f.id === 'storage.no-dtype')?.fix).toMatch(/keep overlay2/);
  });

  it('reports a thin pool low on metadata, and a zpool that is not healthy', () => {
    const base = byFile('ubuntu-14.10-devicemapper-loop');
    const pool: StorageFacts = {
      ...base,
      driverStatus: [
        ['Pool Name', 'docker-thinpool'],
        ['Data Space Used', '10 GB'],
        ['Data Space Total', '100 GB'],
        ['Data Space Available', '90 GB'],
        ['Metadata Space Used', '95 MB'],
        ['Metadata Space Total', '100 MB'],
        ['Metadata Space Available', '5 MB'],
        ['Deferred Removal Enabled', 'true'],
      ],
    };
    expect(assessStorage(pool).findings.map((f) => `${f.severity} ${f.id}`)).toContain(
      'warn storage.thinpool-metadata-low',
    );
    const zfs: StorageFacts = {
      ...base,
      driver: 'zfs',
      driverStatus: [
        ['Zpool', 'tank'],
        ['Zpool Health', 'DEGRADED'],
      ],
    };
    expect(assessStorage(zfs).findings.map((f) => `${f.severity} ${f.id}`)).toContain(
      'warn storage.zfs-pool-unhealthy',
    );
  });
});
