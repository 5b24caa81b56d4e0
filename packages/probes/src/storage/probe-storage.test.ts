import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientOf } from '../../../core/src/docker/connection';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { probeStorage } from './probe-storage';

const t = useTestDocker();

describe('probeStorage against the real engine', () => {
  it('gathers the engine and kernel facts through a short-lived container, and removes it', async () => {
    const report = (
      await probeStorage(t.docker, {
        helperImage: serviceEnv().imageBusybox,
        pull: 'never',
        labels: t.labels,
      })
    )._unsafeUnwrap();
    expect(report.facts).toMatchObject({
      engineVersion: t.docker.engineVersion,
      driver: 'overlay2',
    });
    expect(report.facts.kernelFilesystems).toContain('overlay');
    expect(report.facts.kernelBlockDevices).toContain('loop');
    expect(report.drivers.find((d) => d.inUse)).toMatchObject({ driver: 'overlay2', usable: true });
    expect(report.recommendation.driver).toBe('overlay2');
    expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    const filters = JSON.stringify({ label: [`io.berth.test-run=${t.runId}`] });
    expect(await clientOf(t.docker).listContainers({ all: true, filters })).toEqual([]);
    if (process.env.BERTH_RECORD_FIXTURES === '1') {
      const file = join(import.meta.dirname, '../../test/fixtures/storage/this-machine.json');
      const description = `this machine, recorded by probeStorage: ${report.facts.operatingSystem ?? ''}, kernel ${report.facts.kernelVersion}, Docker ${report.facts.engineVersion}`;
      const expected = report.findings.map((f) => `${f.severity} ${f.id}`);
      writeFileSync(
        file,
        `${JSON.stringify({ description, facts: report.facts, expected, recommendation: report.recommendation.driver }, null, 2)}\n`,
      );
    }
  });

  it('reports a helper image that cannot run as a fact, not an error', async () => {
    const report = (
      await probeStorage(t.docker, {
        helperImage: 'berth-test/no-such-image:1',
        pull: 'never',
        labels: t.labels,
      })
    )._unsafeUnwrap();
    expect(report.facts.kernelFilesystems).toBeUndefined();
    expect(report.facts.kernelTablesError).toMatch(/no-such-image/);
    expect(report.findings.map((f) => f.id)).toContain('storage.kernel-unknown');
  });
});
