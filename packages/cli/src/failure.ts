// The one place where a typed failure becomes an exit code, a line on stderr and a JSON document.
import { ExitCode, type ExitCodeValue } from './exit-codes';

/**
 * What a command can end with: any berth error (the coordination kinds included, whichever copy
 * of the package made it), or one of the CLI's own: `Usage` (a command line that cannot work)
 * and `Internal` (a bug: something threw).
 */
export interface CliFailure {
  readonly kind: string;
  readonly message: string;
}

/** The command line is at fault: nothing was done. */
export function usageFailure(message: string, field?: string): CliFailure {
  return { kind: 'Usage', message, ...(field !== undefined && { field }) };
}

/** Kinds that mean "the arguments were refused", not "the world failed". */
const USAGE_KINDS: ReadonlySet<string> = new Set(['Usage', 'InvalidInput']);

export function exitCodeOf(failure: CliFailure): ExitCodeValue {
  return USAGE_KINDS.has(failure.kind) ? ExitCode.usage : ExitCode.failure;
}

/** The failure with what the user can do about it, in the CLI's terms (`--replace`, not `replace: true`). */
export function withHint<F extends CliFailure>(failure: F, hint: string): F & { hint: string } {
  return { ...failure, hint };
}

/** `kind: message` (and `hint: …`), as stderr shows it. */
export function failureLine(failure: CliFailure): string {
  const { hint } = failure as { hint?: unknown };
  return `${failure.kind}: ${failure.message}${typeof hint === 'string' ? `\nhint: ${hint}` : ''}`;
}

/**
 * The failure's typed fields as plain JSON: `cause` (an engine's or a library's raw error) is
 * reduced to its message, and anything that does not survive JSON is left out.
 */
export function failureJson(failure: CliFailure): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(failure)) {
    if (key === 'cause') {
      if (value !== undefined) out.cause = describeCause(value);
      continue;
    }
    try {
      if (JSON.stringify(value) !== undefined) out[key] = value;
    } catch {
      // a cycle or a BigInt: not part of the document
    }
  }
  return { kind: failure.kind, message: failure.message, ...out };
}

/**
 * A cause's message: `describeCause` of @berth/core, repeated here because this module is on the
 * path of `berth --help` and `--version`, which must not initialise the library (and the Node
 * built-ins it imports) to print a page of text. A test holds the two equal.
 */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause) ?? String(cause);
  } catch {
    return String(cause);
  }
}

/** Whatever a handler threw, as a failure (a thrown berth error keeps its kind). */
export function thrownFailure(thrown: unknown): CliFailure {
  if (typeof thrown === 'object' && thrown !== null) {
    const { kind, message } = thrown as { kind?: unknown; message?: unknown };
    if (typeof kind === 'string' && typeof message === 'string') return thrown as CliFailure;
  }
  return { kind: 'Internal', message: describeCause(thrown) };
}
