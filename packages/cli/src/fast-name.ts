// `berth name` without commander and without the whole library: the lookup (name-lookup.ts),
// the runner and the outcome are the full program's own, and only connectDocker and
// resolveContainerNames of @berth/core are bundled with it (the library marks itself free of
// side effects, so the bundler leaves the rest out).
import { DOCKER_PING_TIMEOUT_MS, connectDocker, connectEtcd } from '@berth/core';
import { names } from './commands/name-lookup';
import type { FastNameCall } from './fast-path';
import type { CliIo } from './io';
import { redactingIo } from './redact';
import { writeOutcome } from './report';
import { runHandler } from './runner';

/** Runs a `berth name` call read by fast-path.ts; the exit code, as `run` would return it. */
export async function runFastName(call: FastNameCall, given: CliIo): Promise<number> {
  const io = redactingIo(given);
  const outcome = await runHandler(
    io,
    call.globals,
    call.flags,
    (context) => names(context, call.refs, call.flags),
    () => Promise.resolve({ connectDocker, connectEtcd, DOCKER_PING_TIMEOUT_MS }),
  );
  writeOutcome(outcome, io, call.globals.json);
  return outcome.exitCode;
}
