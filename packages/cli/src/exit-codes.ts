/** Exit codes, the same for every command. */
export const ExitCode = {
  /** It worked, and nothing at or above `--fail-on` was found. */
  ok: 0,
  /** It ran and found a problem: findings at or above `--fail-on`, or nodes lagging after `deploy --wait`. */
  findings: 1,
  /** The command line is wrong: an unknown command or option, a malformed value, a refused argument. */
  usage: 2,
  /** It could not do its job: the typed error's `kind: message` is on stderr. */
  failure: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
