// `berth probe storage --docker-info`: the built CLI judges a saved `docker info` with no engine
// anywhere (DOCKER_HOST points at a socket that does not exist). `npm run build` first. The live
// path (`berth probe storage` against the real engine) is tested in test/cli.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { berth, jsonOf } from '../../test/run-bin';

const fixtures = join(import.meta.dirname, '../../../probes/test/fixtures/docker-info');
const fixture = (name: string) => join(fixtures, name);
const noEngine = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', DOCKER_CONTEXT: undefined };

describe('berth probe storage --docker-info', () => {
  it('assesses a paste from standard input without any engine', async () => {
    const result = await berth(['probe', 'storage', '--docker-info', '-', '--json'], {
      input: readFileSync(fixture('moby-18491-vfs-ubuntu-14.04.txt'), 'utf8'),
      env: noEngine,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      facts: {
        driver: 'vfs',
        engineVersion: '1.9.1',
        kernelVersion: '3.13.0-68-generic',
        source: 'docker info',
      },
      recommendation: { action: 'switch', driver: 'aufs', confidence: 'medium' },
      failOn: 'critical',
      failing: [],
    });
  });

  it('reads a file in the JSON form, prints the advice, and fails on a critical finding', async () => {
    const json = await berth(
      ['probe', 'storage', '--docker-info', fixture('moby-35163-devicemapper-direct-lvm-api.json')],
      { env: noEngine },
    );
    expect(json.code).toBe(0);
    expect(json.stdout).toMatch(/recommended: +keep devicemapper \(medium confidence\)/);
    const critical = await berth(['probe', 'storage', '--docker-info', '-'], {
      input: readFileSync(fixture('for-linux-419-overlay2-xfs-no-dtype.txt'), 'utf8').replace(
        /\n/g,
        '\r\n',
      ),
      env: noEngine,
    });
    expect(critical.code).toBe(1);
    expect(critical.stdout).toMatch(/recommended: +fix overlay2 \(high confidence\)/);
    expect(critical.stdout).toMatch(/step 1: +recreate the filesystem .*mkfs\.xfs -n ftype=1/);
    expect(critical.stdout).toMatch(/critical +storage\.no-dtype/);
  });

  it('refuses a paste that is not docker info, and a file that is not there, as usage errors', async () => {
    const junk = await berth(['probe', 'storage', '--docker-info', '-', '--json'], {
      input: 'nothing to see here\n',
      env: noEngine,
    });
    expect(junk.code).toBe(2);
    expect(jsonOf(junk)).toMatchObject({ error: { kind: 'InvalidInput', field: 'docker-info' } });
    const missing = await berth(
      ['probe', 'storage', '--docker-info', fixture('no-such-file.txt')],
      {
        env: noEngine,
      },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Usage: --docker-info .*no-such-file\.txt: ENOENT/);
  });
});
