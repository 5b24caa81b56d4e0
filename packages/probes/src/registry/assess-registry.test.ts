import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessRegistry, REGISTRY_FINDING_IDS } from './assess-registry';
import type { RegistryFacts } from './registry-facts';

const dir = join(import.meta.dirname, '../../test/fixtures/registry');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      description: string;
      facts: RegistryFacts;
      expected: string[];
    }),
  }));

describe('assessRegistry', () => {
  it('has at least ten recorded or written fact sets', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const findings = assessRegistry(fixture.facts);
    expect(findings.map((f) => `${f.severity} ${f.id}`)).toEqual(fixture.expected);
    for (const finding of findings) {
      expect(REGISTRY_FINDING_IDS).toContain(finding.id);
      expect(finding.message.length).toBeGreaterThan(10);
      if (finding.severity !== 'info') expect(finding.fix).toBeTruthy();
    }
  });

  it('finds Basic auth over plain HTTP critical off loopback and a warning on it', () => {
    const facts = fixtures.find((f) => f.file === 'basic-plain-http-loopback.json')
      ?.facts as RegistryFacts;
    expect(assessRegistry(facts)[0]?.severity).toBe('warn');
    expect(assessRegistry({ ...facts, loopback: false, host: '10.1.2.3:5080' })[0]).toMatchObject({
      id: 'registry.basic-over-plain-http',
      severity: 'critical',
    });
  });
});
