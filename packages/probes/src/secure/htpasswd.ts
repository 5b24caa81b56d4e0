import { berthError, type InvalidInputError } from '@berth/core';
import bcrypt from 'bcryptjs';
import { err, ok, type Result } from 'neverthrow';

/** One account of the registry proxy. */
export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

const USERNAME = /^[^:\s\p{Cc}]{1,255}$/u;
/** bcrypt reads only the first 72 bytes: a longer password would match any with the same start. */
const BCRYPT_MAX_BYTES = 72;

/** Users checked: names without `:` or white space, unique; passwords 1–72 bytes, no newline. */
export function checkUsers(
  users: unknown,
  field = 'users',
): Result<RegistryUser[], InvalidInputError> {
  const bad = (where: string, why: string) =>
    err(berthError.invalidInput({ field: where, message: `${where} ${why}` }));
  if (!Array.isArray(users) || users.length === 0)
    return bad(field, 'must list at least one { username, password }');
  const seen = new Set<string>();
  const out: RegistryUser[] = [];
  for (const [i, user] of (users as unknown[]).entries()) {
    const where = `${field}[${i}]`;
    const { username, password } = (user ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || !USERNAME.test(username)) {
      return bad(
        `${where}.username`,
        'must be 1–255 characters without ":", white space or control characters',
      );
    }
    if (seen.has(username)) return bad(`${where}.username`, `"${username}" is listed twice`);
    seen.add(username);
    if (typeof password !== 'string' || password.length === 0 || /[\r\n\0]/.test(password)) {
      return bad(`${where}.password`, 'must be a non-empty string without newlines or NUL');
    }
    if (Buffer.byteLength(password) > BCRYPT_MAX_BYTES) {
      return bad(
        `${where}.password`,
        `is longer than ${BCRYPT_MAX_BYTES} bytes, which bcrypt would silently cut`,
      );
    }
    out.push({ username, password });
  }
  return ok(out);
}

/** An htpasswd file with bcrypt entries only (`$2y$`, what `htpasswd -B` writes). */
export function htpasswdFile(users: readonly RegistryUser[], rounds = 10): string {
  return users
    .map(
      ({ username, password }) =>
        `${username}:${bcrypt.hashSync(password, rounds).replace(/^\$2[ab]\$/, '$2y$')}\n`,
    )
    .join('');
}
