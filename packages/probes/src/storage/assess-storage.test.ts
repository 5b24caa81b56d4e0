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
});
