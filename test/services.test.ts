// scripts/services is part of the product: `up` on a running set changes nothing, `status` tells the truth.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { servicesDir } from './support/load-env';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'services');
const runDir = join(servicesDir, 'run');

function pids(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(runDir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => [f, readFileSync(join(runDir, f), 'utf8').trim()]),
  );
}

describe('scripts/services', () => {
  it('is idempotent: a second `up` restarts nothing and rewrites the same env file', async () => {
    const before = pids();
    const envBefore = readFileSync(join(servicesDir, 'env'), 'utf8');
    expect(Object.keys(before).length).toBeGreaterThan(0);
    await run('bash', [script, 'up'], { timeout: 120_000 });
    expect(pids()).toEqual(before);
    expect(readFileSync(join(servicesDir, 'env'), 'utf8')).toBe(envBefore);
  });

  it('reports every service up', async () => {
    const { stdout } = await run('bash', [script, 'status'], { timeout: 60_000 });
    for (const service of [
      'docker',
      'etcd',
      'registry',
      'registry-auth',
      'git-http',
      'git-http-auth',
      'git-ssh',
    ]) {
      expect(stdout).toMatch(new RegExp(`^${service}\\s+up\\b`, 'm'));
    }
    expect(stdout).not.toMatch(/\bdown\b/);
  });

  it('prints the env file the tests read', async () => {
    const { stdout } = await run('bash', [script, 'env']);
    expect(stdout).toBe(readFileSync(join(servicesDir, 'env'), 'utf8'));
    expect(stdout).toMatch(/^BERTH_TEST_ETCD_ENDPOINT=http:\/\/127\.0\.0\.1:\d+$/m);
  });
});
