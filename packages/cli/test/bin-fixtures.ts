// What the bin tests share: data containers made through the CLI itself, carrying the test run's
// label, and a look at what a data container serves.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LABEL_TEST_RUN, type TestDocker } from '../../../test/support/docker';
import { serviceEnv } from '../../../test/support/services';
import { berth, type BinResult } from './run-bin';

export const exec = promisify(execFile);

export function binFixtures(t: TestDocker) {
  const label = () => ['--label', `${LABEL_TEST_RUN}=${t.runId}`];
  return {
    /** `--label io.berth.test-run=<run>`: what the sweep after each test removes. */
    label,
    /** `berth data-container create <name> --image busybox --volume /www …`. */
    createData: (name: string, extra: readonly string[] = []): Promise<BinResult> =>
      berth([
        ...['data-container', 'create', name, '--image', serviceEnv().imageBusybox],
        ...['--volume', '/www', ...label(), ...extra],
      ]),
    /** A file of the active release under `volume`, read through a throwaway container. */
    served: async (container: string, path: string, volume = '/www'): Promise<string> => {
      const { stdout } = await exec('docker', [
        ...['run', '--rm', '--network', 'none', '--volumes-from', container, ...label()],
        ...[serviceEnv().imageBusybox, 'cat', `${volume}/current/${path}`],
      ]);
      return stdout;
    },
  };
}
