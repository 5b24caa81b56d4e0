// An in-process CliIo that keeps what the command wrote, for tests calling run() directly.
import type { CliIo } from '../src/io';

export interface CapturedIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

export function captureIo(overrides: Partial<CliIo> = {}): CapturedIo {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      env: process.env,
      ...overrides,
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
