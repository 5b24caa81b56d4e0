// A pull drawn on a terminal: an image pushed to the loopback registry, then pulled by
// `data-container create` with stderr as a TTY (in-process), and not drawn when it is not one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_TEST_RUN, useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { exec } from '../../test/bin-fixtures';
import { captureIo } from '../../test/capture-io';
import { run } from '../program';

const t = useTestDocker();
let image: string;
let digest: string | undefined;

beforeAll(async () => {
  image = `${serviceEnv().registry}/berth-cli-test/busybox:${t.runId}`;
  await exec('docker', ['tag', serviceEnv().imageBusybox, image]);
  const { stdout } = await exec('docker', ['push', image]);
  digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
  await exec('docker', ['rmi', image]);
});

afterAll(async () => {
  await exec('docker', ['rmi', image]).catch(() => undefined);
  if (digest) {
    const repository = image.slice(image.indexOf('/') + 1, image.lastIndexOf(':'));
    await fetch(`http://${serviceEnv().registry}/v2/${repository}/manifests/${digest}`, {
      method: 'DELETE',
    }).catch(() => undefined);
  }
});

async function create(isTTY: boolean) {
  const captured = captureIo({ isTTY, columns: 200 });
  const code = await run(
    [
      ...['data-container', 'create', t.name('cli-pull'), '--image', image, '--volume', '/www'],
      ...['--label', `${LABEL_TEST_RUN}=${t.runId}`, '--pull', 'always'],
    ],
    captured.io,
  );
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('data-container create --pull always', () => {
  it('draws the pull on a terminal and clears it before printing the container', async () => {
    const { code, stdout, stderr } = await create(true);
    expect(code).toBe(0);
    expect(stderr).toContain(`\r\x1b[2Kpull ${image}`);
    // Lines come at most every 100 ms; the engine's last word is always drawn.
    expect(stderr).toContain(': Status: Downloaded newer image for');
    expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(stdout).toMatch(/^created cli-pull-\S+ \([0-9a-f]{12}\) from /);
  });

  it('pulls without a word on stderr when it is not a terminal', async () => {
    const { code, stderr } = await create(false);
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});
