// The one spelling of a watched key: `/cdn/site`, `cdn/site/` and `cdn//site` are one key.
import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';

/**
 * The key as berth writes, watches and reads it: leading and trailing slashes removed, runs of
 * slashes collapsed to one. Announcing, watching, node statuses and waiting all go through here,
 * so a key that differs only by slashes is the same key. Refuses a key with nothing left.
 */
export function normalizeKey(key: unknown): Result<string, InvalidInputError> {
  if (typeof key !== 'string') {
    return err(
      berthError.invalidInput({ field: 'key', message: 'key must be a non-empty string' }),
    );
  }
  const normalized = key.replace(/\/{2,}/g, '/').replace(/^\/|\/$/g, '');
  return normalized.length > 0
    ? ok(normalized)
    : err(
        berthError.invalidInput({
          field: 'key',
          message: `key "${key}" is empty once its slashes are trimmed`,
        }),
      );
}
