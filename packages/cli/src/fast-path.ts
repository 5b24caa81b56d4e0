// Which command lines `berth name` can run without the full program. Jenkins helpers call
// `berth name <id>` many times per build, and most of its start-up would be commander, the
// command table and the whole library: the fast path (fast-name.ts, its own small bundle) skips
// them. It takes only command lines it reads exactly as commander would: `name`, its refs, and
// the options below, from the command line or their `BERTH_…` variables. Anything else (help, a
// typo, `--`, a malformed value) goes to the full program, which says what is wrong.
import type { GlobalOptions } from './context';
import type { NameOptions } from './commands/name-lookup';
import { durationMs } from './options/duration';
import { envFlag, envVarFor } from './options/env-names';

type Environment = Readonly<Record<string, string | undefined>>;

/** A `berth name` command line, read. */
export interface FastNameCall {
  readonly refs: readonly string[];
  readonly globals: GlobalOptions;
  /** The command's own options, as commander's `command.opts()` would give them. */
  readonly flags: NameOptions & Readonly<Record<string, unknown>>;
}

type Flag = 'json' | 'quiet' | 'leadingSlash';
type Valued = 'dockerHost' | 'timeout';

/** The program's options (allowed before and after `name`) and the command's own (after only). */
const PROGRAM_FLAGS: Readonly<Record<string, Flag>> = {
  '--json': 'json',
  '-q': 'quiet',
  '--quiet': 'quiet',
};
const PROGRAM_VALUES: Readonly<Record<string, Valued>> = {
  '--docker-host': 'dockerHost',
  '--timeout': 'timeout',
};
const NAME_FLAGS: Readonly<Record<string, Flag>> = { '--leading-slash': 'leadingSlash' };

/** The long flag each option's variable is named after (env.ts derives the same names). */
const LONG: Readonly<Record<Flag | Valued, string>> = {
  json: '--json',
  quiet: '--quiet',
  leadingSlash: '--leading-slash',
  dockerHost: '--docker-host',
  timeout: '--timeout',
};

/** A flag from its variable when the command line did not set it; null when the variable is malformed. */
function fromEnv(
  env: Environment,
  key: Flag,
  given: boolean | undefined,
): boolean | undefined | null {
  if (given !== undefined) return given;
  const value = env[envVarFor(LONG[key])];
  if (value === undefined) return undefined;
  return envFlag(value) ?? null;
}

/** The `berth name` call `argv` makes, or undefined when the full program must read it. */
export function fastNameCall(argv: readonly string[], env: Environment): FastNameCall | undefined {
  const flags: Partial<Record<Flag, boolean>> = {};
  const values: Partial<Record<Valued, string>> = {};
  const refs: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const option = eq === -1 ? arg : arg.slice(0, eq);
    const flag = PROGRAM_FLAGS[arg] ?? (command ? NAME_FLAGS[arg] : undefined);
    const valued = PROGRAM_VALUES[option];
    if (flag) flags[flag] = true;
    else if (valued && eq !== -1) values[valued] = arg.slice(eq + 1);
    else if (valued) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
      values[valued] = value;
    } else if (arg.startsWith('-')) return undefined;
    else if (command === undefined) command = arg;
    else refs.push(arg);
  }
  if (command !== 'name' || refs.length === 0) return undefined;

  const json = fromEnv(env, 'json', flags.json);
  const quiet = fromEnv(env, 'quiet', flags.quiet);
  const leadingSlash = fromEnv(env, 'leadingSlash', flags.leadingSlash);
  if (json === null || quiet === null || leadingSlash === null) return undefined;
  const dockerHost = values.dockerHost ?? env[envVarFor(LONG.dockerHost)];
  const timeout = values.timeout ?? env[envVarFor(LONG.timeout)];
  const timeoutMs = timeout === undefined ? undefined : durationMs(timeout);
  if (typeof timeoutMs === 'string') return undefined;
  return {
    refs,
    globals: { json: json === true, quiet: quiet === true, timeoutMs, dockerHost },
    flags: leadingSlash === undefined ? {} : { leadingSlash },
  };
}

/**
 * `berth --version` (or `-V`) alone: the launcher prints the versions itself, as the program's
 * `.version()` would, without loading the program and the library.
 */
export function isVersionCall(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
}
