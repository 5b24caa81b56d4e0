// Secrets planted where berth would echo them (URL userinfo in arguments and DOCKER_HOST, a
// password in BERTH_GIT_PASSWORD, one read with --password-stdin): the built `berth` runs several
// commands, and not one byte of stdout or stderr may carry them.
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/net';
import { serviceEnv } from '../../../test/support/services';
import { berth, type BinResult } from './run-bin';

const URL_SECRET = 'Url-Secret-7f3a';
const HOST_SECRET = 'Host-Secret-91c2';
const GIT_SECRET = 'git-secret-55d0';
const STDIN_SECRET = 'stdin-secret-2b8e';
const PLANTED = [URL_SECRET, HOST_SECRET, GIT_SECRET, STDIN_SECRET];

/** Everything a run printed. */
const printed = (result: BinResult) => `${result.stdout}\n${result.stderr}`;

describe('secrets never appear in what berth prints', () => {
  it('hides every planted secret in tables, messages and --json documents', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const runs: BinResult[] = [];
    const registryUrl = `https://ci:${URL_SECRET}@${closed}`;
    for (const json of [[], ['--json']]) {
      runs.push(await berth([...json, 'probe', 'registry', registryUrl]));
      runs.push(
        await berth([...json, 'name', 'web'], {
          env: { DOCKER_HOST: `tcp://ci:${HOST_SECRET}@${closed}` },
        }),
      );
      runs.push(
        await berth([...json, 'name', GIT_SECRET], { env: { BERTH_GIT_PASSWORD: GIT_SECRET } }),
      );
      runs.push(
        await berth(
          [
            ...json,
            'probe',
            'registry',
            serviceEnv().authRegistryHttp,
            '--no-check-push',
            '--user',
            'ci',
            '--password-stdin',
            '--repository',
            STDIN_SECRET,
          ],
          { input: `${STDIN_SECRET}\n`, env: { BERTH_REGISTRY_USER: undefined } },
        ),
      );
      runs.push(await berth([...json, '--timeout', registryUrl, 'name', 'web']));
    }
    const all = runs.map(printed).join('\n');
    for (const secret of PLANTED) expect(all).not.toContain(secret);
    // The runs did print what they were about, with the secrets hidden in place.
    expect(all).toContain(`https://ci:***@${closed}`);
    expect(all).toContain(`tcp://ci:***@${closed}`);
    expect(all).toContain('no such container: ***');
    expect(all).toContain('tags of ***');
    // Every --json document still parses.
    for (const run of runs.slice(runs.length / 2))
      expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
  });
});
