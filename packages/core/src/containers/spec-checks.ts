import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';
import { LABEL_MANAGED, LABEL_ROLE, LABEL_VERSION } from '../labels';
import { PULL_POLICIES, type PullPolicy } from './ensure-image';

/** A command as an argv array: non-empty strings, at least one. */
export function checkCommand(command: unknown, field: string): Result<string[], InvalidInputError> {
  if (!Array.isArray(command) || command.length === 0) {
    return err(
      berthError.invalidInput({ field, message: `${field} must be a non-empty array of strings` }),
    );
  }
  for (const [i, arg] of (command as unknown[]).entries()) {
    if (typeof arg !== 'string' || (i === 0 && arg.length === 0) || arg.includes('\0')) {
      return err(
        berthError.invalidInput({
          field: `${field}[${i}]`,
          message: `${field}[${i}] must be a string without NUL (the first non-empty)`,
        }),
      );
    }
  }
  return ok([...(command as string[])]);
}

const RESERVED: ReadonlySet<string> = new Set([LABEL_MANAGED, LABEL_VERSION, LABEL_ROLE]);

/** Labels: string keys and values; berth's own (`io.berth.managed`, `.version`, `.role`) cannot be set. */
export function checkLabels(
  labels: unknown,
  field: string,
): Result<Record<string, string>, InvalidInputError> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return err(
      berthError.invalidInput({ field, message: `${field} must be an object of string values` }),
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (key.length === 0 || typeof value !== 'string') {
      return err(
        berthError.invalidInput({
          field: `${field}.${key}`,
          message: `${field} "${key}" must be a non-empty key with a string value`,
        }),
      );
    }
    if (RESERVED.has(key)) {
      return err(
        berthError.invalidInput({
          field: `${field}.${key}`,
          message: `${field} "${key}" is set by berth itself`,
        }),
      );
    }
    out[key] = value;
  }
  return ok(out);
}

export function checkPullPolicy(
  pull: unknown,
  field: string,
): Result<PullPolicy, InvalidInputError> {
  return PULL_POLICIES.includes(pull as PullPolicy)
    ? ok(pull as PullPolicy)
    : err(
        berthError.invalidInput({
          field,
          message: `${field} must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(pull)}`,
        }),
      );
}
