/** Checking what a git source is given: its options, revisions and object names. */
import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';
import type { Wanted } from './resolve';
import type { GitSourceOptions } from './source';
import { parseGitUrl, type GitUrl } from './url';

const FULL_SHA = /^[0-9a-fA-F]{40}$/;

const invalid = (field: string, message: string) => berthError.invalidInput({ field, message });

/** git's ref-name rules (`git check-ref-format`), enough to keep nonsense off the wire. */
export function checkRevision(revision: unknown): Result<Wanted, InvalidInputError> {
  if (typeof revision !== 'string' || revision.length === 0) {
    return err(invalid('revision', 'a revision must be a non-empty string'));
  }
  if (FULL_SHA.test(revision)) return ok({ sha: revision.toLowerCase() });
  const bad =
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(revision) ||
    revision.includes('..') ||
    revision.includes('@{') ||
    revision.includes('//') ||
    /^[-/.]|[/.]$|\.lock$|\/\./.test(revision);
  return bad
    ? err(invalid('revision', `"${revision}" is neither a full commit SHA nor a valid ref name`))
    : ok({ ref: revision });
}

export function checkOid(oid: unknown, field: string): Result<string, InvalidInputError> {
  return typeof oid === 'string' && FULL_SHA.test(oid)
    ? ok(oid.toLowerCase())
    : err(invalid(field, `${field} must be a full 40-hex object id`));
}

export function checkOptions(options: GitSourceOptions): Result<GitUrl, InvalidInputError> {
  if (typeof options !== 'object' || options === null) {
    return err(invalid('options', 'options must be an object'));
  }
  const parsed = parseGitUrl(options.url);
  if (parsed.isErr()) return err(invalid('url', parsed.error));
  const url = parsed.value;
  const { sshAuth, hostKeys } = options;
  if (sshAuth !== undefined && typeof sshAuth !== 'function') {
    return err(invalid('sshAuth', 'sshAuth must be a function returning ssh credentials'));
  }
  if (hostKeys !== undefined && (typeof hostKeys !== 'object' || hostKeys === null)) {
    return err(invalid('hostKeys', 'hostKeys must be an object'));
  }
  const { depth, timeoutMs, maxTreeEntries, cacheDir, auth } = options;
  if (depth !== undefined && !(depth === Infinity || (Number.isInteger(depth) && depth >= 1))) {
    return err(invalid('depth', 'depth must be a positive integer or Infinity'));
  }
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    return err(invalid('timeoutMs', 'timeoutMs must be a positive number'));
  }
  const { idleTimeoutMs } = options;
  if (idleTimeoutMs !== undefined && !(Number.isFinite(idleTimeoutMs) && idleTimeoutMs > 0)) {
    return err(invalid('idleTimeoutMs', 'idleTimeoutMs must be a positive number'));
  }
  if (maxTreeEntries !== undefined && !(Number.isInteger(maxTreeEntries) && maxTreeEntries > 0)) {
    return err(invalid('maxTreeEntries', 'maxTreeEntries must be a positive integer'));
  }
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0)) {
    return err(invalid('cacheDir', 'cacheDir must be a non-empty path'));
  }
  if (auth !== undefined && typeof auth !== 'function') {
    return err(invalid('auth', 'auth must be a function returning credentials'));
  }
  return ok(url);
}
