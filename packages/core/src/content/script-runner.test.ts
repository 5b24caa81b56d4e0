// Where a container target's scripts run (script-runner.ts), against the real engine: a script
// cut short by an abort goes on in the helper to its end, and close() waits for it before it
// removes the helper (Ctrl-C in `berth publish` during the commit point left the lock behind).
import { describe, expect, it } from 'vitest';
import { inspectContainer } from '../containers/inspect';
import { useTestDocker } from '../../../../test/support/docker';
import { volumeReader, wwwData } from '../../../../test/support/www-volume';
import { scriptRunner } from './script-runner';

const t = useTestDocker();

// A critical section, as the release scripts have one: take a lock, work a while, let it go.
const CRITICAL = 'cat > /dev/null; echo "$1" > /www/lock; sleep 1; rm /www/lock; echo done';

async function* bytes(size: number): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < size; sent += 1 << 20)
    yield Buffer.alloc(Math.min(1 << 20, size - sent));
  await Promise.resolve();
}

describe('scriptRunner', () => {
  it.each([
    ['through the session (a small input)', 1024],
    ['through an exec of its own (an input over 4 MB)', 6 << 20],
  ])(
    'close() after an aborted script %s waits for it to end before removing the helper',
    async (_, size) => {
      const data = await wwwData(t);
      const reader = await volumeReader(t, data.name);
      const lock = async () =>
        (await reader.exec(['sh', '-c', 'cat /www/lock 2>/dev/null || :']))._unsafeUnwrap().stdout;
      const runner = scriptRunner(t.docker, {
        dataContainer: data.name,
        timeoutMs: 60_000,
        labels: t.labels,
      });
      const stop = new AbortController();
      const running = runner.run(
        { body: CRITICAL, argv: ['held'], stdin: bytes(size), signal: stop.signal },
        (cause) => cause,
      );
      await expect.poll(lock, { timeout: 20_000, interval: 20 }).toBe('held\n');
      stop.abort();
      expect((await running).isErr()).toBe(true);
      (await runner.close())._unsafeUnwrap();
      // The script ran to its end (its lock is gone) before the helper was removed.
      expect(await lock()).toBe('');
      const helper = await inspectContainer(t.docker, `${data.name}-berth-helper`, {
        exactName: true,
      });
      expect(helper._unsafeUnwrap()).toBeUndefined();
    },
  );
});
