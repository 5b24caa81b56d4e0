import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { describeCause } from '../errors';
import { berthError, type GitAuthError } from '../errors';

/** HTTP Basic credentials for a git server (a token goes in `password`). */
export interface GitCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Called before every fetch, so credentials rotated while the process runs are picked up on the
 * next fetch. `undefined` means: fetch anonymously.
 */
export type GitAuthCallback = () =>
  GitCredentials | undefined | PromiseLike<GitCredentials | undefined>;

/** The request headers for one fetch: the callback asked afresh, its answer checked. */
export function authHeaders(
  url: string,
  auth: GitAuthCallback | undefined,
): ResultAsync<Record<string, string>, GitAuthError> {
  if (!auth) return okAsync({});
  const failed = (message: string, cause?: unknown): GitAuthError =>
    berthError.gitAuth({ url, message: `git credentials for ${url}: ${message}`, cause });
  return ResultAsync.fromPromise((async () => auth())(), (cause) =>
    failed(`the auth callback failed: ${describeCause(cause)}`, cause),
  ).andThen((credentials) => {
    if (credentials === undefined) return okAsync({});
    const { username, password } = credentials as Partial<GitCredentials>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      return errAsync(failed('the auth callback must return { username, password } or undefined'));
    }
    if (username.includes(':')) {
      return errAsync(failed('a Basic auth user name cannot contain ":"'));
    }
    const token = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    return okAsync({ Authorization: `Basic ${token}` });
  });
}
