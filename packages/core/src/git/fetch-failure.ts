import { describeCause } from '../errors';
import {
  berthError,
  type GitAuthError,
  type GitFetchError,
  type UnknownRevisionError,
} from '../errors';

/** What isomorphic-git and Node's sockets attach to a failure. */
interface FetchFailure {
  code?: unknown;
  data?: { statusCode?: unknown; what?: unknown } | null;
}

/** Socket-level failures: nothing (or nothing sane) answered at that address. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * One failed isomorphic-git fetch, classified by isomorphic-git's error `code`, the HTTP status
 * it carries, or the socket's error code (never by message text). Whatever is left is a failure
 * of the local cache or of the pack it received: `reason: 'cache'`, which the resolver answers
 * with a fresh clone.
 */
export function classifyFetchFailure(
  url: string,
  wanted: string,
  cause: unknown,
): GitAuthError | GitFetchError | UnknownRevisionError {
  const failure = (typeof cause === 'object' && cause !== null ? cause : {}) as FetchFailure;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const detail = describeCause(cause);
  const fetchError = (reason: GitFetchError['reason'], message: string, statusCode?: number) =>
    statusCode === undefined
      ? berthError.gitFetch({ url, reason, message, cause })
      : berthError.gitFetch({ url, reason, statusCode, message, cause });

  if (code === 'HttpError') {
    const status = failure.data?.statusCode;
    const statusCode = typeof status === 'number' ? status : undefined;
    if (statusCode === 401 || statusCode === 403) {
      return berthError.gitAuth({
        url,
        statusCode,
        message: `${url} refused the credentials (HTTP ${statusCode})`,
        cause,
      });
    }
    if (statusCode === 404 || statusCode === 410) {
      return fetchError(
        'not-a-repository',
        `${url} is not a git repository (HTTP ${statusCode})`,
        statusCode,
      );
    }
    return fetchError('http', `fetching from ${url} failed: ${detail}`, statusCode);
  }
  if (code === 'SmartHttpError') {
    return fetchError('not-a-repository', `${url} does not speak git's smart HTTP protocol`);
  }
  if (code === 'NotFoundError' && failure.data?.what === wanted) {
    return berthError.unknownRevision({
      url,
      revision: wanted,
      message: `${url} has no branch or tag "${wanted}"`,
      cause,
    });
  }
  if (code === 'RemoteCapabilityError' || code === 'UnknownTransportError') {
    return fetchError('protocol', `${url}: ${detail}`);
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return fetchError('unreachable', `${url} is unreachable: ${detail}`);
  }
  return fetchError('cache', `fetching ${wanted} from ${url} into the cache failed: ${detail}`);
}
