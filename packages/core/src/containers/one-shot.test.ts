import { describe, expect, it } from 'vitest';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { clientOf } from '../docker/connection';
import { runOneShotContainer } from './one-shot';

const t = useTestDocker();

async function leftovers(): Promise<number> {
  const filters = JSON.stringify({ label: [`io.berth.test-run=${t.runId}`] });
  return (await clientOf(t.docker).listContainers({ all: true, filters })).length;
}

describe('runOneShotContainer', () => {
  it('returns the exit code with stdout and stderr apart, and removes the container', async () => {
    const result = await runOneShotContainer(t.docker, {
      image: serviceEnv().imageBusybox,
      command: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      labels: t.labels,
    });
    expect(result._unsafeUnwrap()).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await leftovers()).toBe(0);
  });

  it('stops and removes a command that outlives its timeout', async () => {
    const started = Date.now();
    const result = await runOneShotContainer(t.docker, {
      image: serviceEnv().imageBusybox,
      command: ['sleep', '30'],
      labels: t.labels,
      timeoutMs: 1_500,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'Timeout', timeoutMs: 1_500 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await leftovers()).toBe(0);
  });

  it('reports a missing image as NotFound without pulling when told not to', async () => {
    const result = await runOneShotContainer(t.docker, {
      image: 'berth-test/no-such-image:1',
      command: ['true'],
      labels: t.labels,
      pull: 'never',
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'NotFound', resource: 'image' });
  });

  it('refuses an empty command', async () => {
    const result = await runOneShotContainer(t.docker, { image: 'busybox', command: [] });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'spec.command',
    });
  });
});
