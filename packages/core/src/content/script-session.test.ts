import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { runServiceContainer, type ServiceContainer } from '../containers/service-container';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { ScriptSession, shellQuote } from './script-session';

const t = useTestDocker();
const LIMITS = { timeoutMs: 20_000 };

async function container(): Promise<ServiceContainer> {
  return (
    await runServiceContainer(t.docker, {
      name: t.name('session'),
      image: serviceEnv().imageBusybox,
      command: ['sleep', '600'],
      network: 'none',
      labels: t.labels,
    })
  )._unsafeUnwrap();
}

/** HTTP requests this process sends (to the engine, here) while `run` runs. */
async function requestsDuring(run: () => Promise<void>): Promise<number> {
  let count = 0;
  const count1 = () => void count++;
  subscribe('http.client.request.start', count1);
  try {
    await run();
  } finally {
    unsubscribe('http.client.request.start', count1);
  }
  return count;
}

describe('shellQuote', () => {
  it('quotes any text so sh reads it back unchanged', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
  });
});

describe('ScriptSession (one long-lived exec running scripts)', () => {
  it('runs scripts one after another: arguments, input, stdout, stderr and exit codes intact', async () => {
    const box = await container();
    const session = new ScriptSession(t.docker, box.id);
    try {
      const odd = ["it's", 'two words', 'line\nbreak', '$HOME', '`x`', '-n'];
      const echoed = await session.run(
        `for a in "$@"; do printf '[%s]' "$a"; done; echo`,
        odd,
        Buffer.alloc(0),
        LIMITS,
      );
      expect(echoed).toEqual({
        exitCode: 0,
        stdout: `${odd.map((a) => `[${a}]`).join('')}\n`,
        stderr: '',
      });

      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
      const counted = await session.run('wc -c; echo oops >&2; exit 3', [], bytes, LIMITS);
      expect(counted).toEqual({ exitCode: 3, stdout: '70000\n', stderr: 'oops\n' });

      // A script that reads none of its input: the next one still gets only its own.
      const ignored = await session.run('true', [], Buffer.from('left unread'), LIMITS);
      expect(ignored.exitCode).toBe(0);
      const next = await session.run('cat', [], Buffer.from('mine'), LIMITS);
      expect(next).toEqual({ exitCode: 0, stdout: 'mine', stderr: '' });

      // Output without a final newline still ends where the script ends.
      expect(await session.run('printf partial', [], Buffer.alloc(0), LIMITS)).toEqual({
        exitCode: 0,
        stdout: 'partial',
        stderr: '',
      });
    } finally {
      session.close();
    }
  });

  it('sends no request to the engine once open, and its loop ends when closed', async () => {
    const box = await container();
    const session = new ScriptSession(t.docker, box.id);
    await session.run('true', [], Buffer.alloc(0), LIMITS);
    const requests = await requestsDuring(async () => {
      for (let i = 0; i < 5; i++) {
        expect((await session.run('echo $1', [String(i)], Buffer.alloc(0), LIMITS)).stdout).toBe(
          `${i}\n`,
        );
      }
    });
    expect(requests).toBe(0);
    const loops = async () =>
      // `[b]` keeps this very grep (and its shell) from matching its own command line.
      (await box.exec(['sh', '-c', "grep -l '[b]erth-end' /proc/[0-9]*/cmdline || true"]))
        ._unsafeUnwrap()
        .stdout.split('\n')
        .filter((l) => l && !l.includes('self')).length;
    expect(await loops()).toBeGreaterThan(0);
    session.close();
    await expect.poll(loops, { timeout: 10_000, interval: 50 }).toBe(0);
  });

  it("runs a script's later work after its answer and before the next request", async () => {
    const box = await container();
    const session = new ScriptSession(t.docker, box.id);
    try {
      // Run again with BERTH_RUN_LATER, the script sources what it left in BERTH_LATER.
      const body = [
        'if [ -n "${BERTH_RUN_LATER:-}" ]; then . "$BERTH_RUN_LATER"; exit 0; fi',
        'echo "sleep 0.3; echo \\"$1\\" > /tmp/later" >> "$BERTH_LATER"',
        'echo answered',
      ].join('\n');
      const answer = await session.run(body, ['done-later'], Buffer.alloc(0), LIMITS);
      expect(answer).toEqual({ exitCode: 0, stdout: 'answered\n', stderr: '' });
      const next = await session.run('cat /tmp/later', [], Buffer.alloc(0), LIMITS);
      expect(next.stdout).toBe('done-later\n');
    } finally {
      session.close();
    }
  });

  it('drains: answers what is queued, lets the later work finish, and returns once the loop has exited', async () => {
    const box = await container();
    const session = new ScriptSession(t.docker, box.id);
    const body = [
      'if [ -n "${BERTH_RUN_LATER:-}" ]; then . "$BERTH_RUN_LATER"; exit 0; fi',
      'echo "sleep 0.5; echo \\"$1\\" > /tmp/later" >> "$BERTH_LATER"',
      'echo answered',
    ].join('\n');
    // Queued behind each other, not awaited: drain() answers both before it ends the loop.
    const first = session.run('echo one', [], Buffer.alloc(0), LIMITS);
    const second = session.run(body, ['drained'], Buffer.alloc(0), LIMITS);
    await session.drain();
    expect((await first).stdout).toBe('one\n');
    expect((await second).stdout).toBe('answered\n');
    // What a close() followed by removing the container would have killed half-way: done.
    const later = (await box.exec(['cat', '/tmp/later']))._unsafeUnwrap();
    expect(later).toMatchObject({ exitCode: 0, stdout: 'drained\n' });
    const loops = (
      await box.exec(['sh', '-c', "grep -l '[b]erth-end' /proc/[0-9]*/cmdline || true"])
    )
      ._unsafeUnwrap()
      .stdout.split('\n')
      .filter((l) => l && !l.includes('self'));
    expect(loops).toEqual([]);
    // A session drained (or never opened) drains again at once; a new run opens a new loop.
    await session.drain();
    expect((await session.run('echo again', [], Buffer.alloc(0), LIMITS)).stdout).toBe('again\n');
    await session.drain();
    await new ScriptSession(t.docker, box.id).drain();
  });

  it('fails a run that outlives its bound, and opens a new loop for the next', async () => {
    const box = await container();
    const session = new ScriptSession(t.docker, box.id);
    try {
      await expect(session.run('sleep 5', [], Buffer.alloc(0), { timeoutMs: 300 })).rejects.toThrow(
        /no answer within 300 ms/,
      );
      expect((await session.run('echo again', [], Buffer.alloc(0), LIMITS)).stdout).toBe('again\n');
    } finally {
      session.close();
    }
  });
});
