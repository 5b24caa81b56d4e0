// NODE_EXTRA_CA_CERTS put aside by the shell launcher (bin/berth) for a `berth name` command line:
// Node started without it, which saves parsing the bundle when no TLS is needed. Whatever may
// need TLS runs again here, in a new Node with the variable restored, and this process ends as
// that one does.
import type * as ChildProcess from 'node:child_process';

/** Where bin/berth keeps NODE_EXTRA_CA_CERTS's value when it started Node without it. */
export const SAVED_EXTRA_CA = 'BERTH_LAUNCHER_EXTRA_CA_CERTS';

/** The value put aside, if the launcher put one aside. */
export function savedExtraCa(): string | undefined {
  return process.env[SAVED_EXTRA_CA];
}

/**
 * Runs `node <script> <argv>` with NODE_EXTRA_CA_CERTS back, stdin, stdout and stderr shared,
 * and ends this process with its exit code (or its signal).
 */
export function rerunWithExtraCa(saved: string, script: string, argv: readonly string[]): void {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: saved };
  delete env[SAVED_EXTRA_CA];
  // Required here, not at the top: every `berth` start loads this module, few run a child.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof ChildProcess;
  const child = spawnSync(process.execPath, [script, ...argv], { stdio: 'inherit', env });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}
