// The built `berth` writing into a pipe whose reader has gone (`berth --help | head -1`).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { berthBin } from './run-bin';

/** Runs berth with its stdout a pipe closed before berth writes a byte; its exit and stderr. */
function withClosedStdout(args: readonly string[]) {
  return new Promise<{ code: number | null; signal: string | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(berthBin, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Closed at once: berth is still starting, so every write it makes meets EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
}

describe('a closed stdout', () => {
  it.each([['--help'], ['--version'], ['name', '--help']])(
    'ends berth %s quietly, without an unhandled EPIPE',
    async (...args) => {
      const { code, signal, stderr } = await withClosedStdout(args);
      expect(stderr).toBe('');
      expect(signal).toBeNull();
      expect(code).toBe(0);
    },
  );
});
