/**
 * The host-key check an SSH connection runs before anything is sent: known, or accepted as new
 * when the caller opted in, or refused with `GitHostUnknown` / `GitHostKeyChanged` naming the
 * fingerprint the server showed.
 */
import { berthError, type GitHostKeyChangedError, type GitHostUnknownError } from '../errors';
import {
  blobType,
  fingerprint,
  knownHostsName,
  verifyHostKey,
  type KnownKeys,
} from './known-hosts';

export interface HostTrust {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly known: KnownKeys;
  readonly pinned: readonly string[];
  /** Opt-in: an unknown host's key is trusted (and handed to this, to remember it). */
  readonly acceptNew?: ((blob: Buffer) => void) | undefined;
}

/** ssh2's `hostVerifier`: true to go on; false after handing the refusal to `refuse`. */
export function hostKeyVerifier(
  trust: HostTrust,
  refuse: (error: GitHostUnknownError | GitHostKeyChangedError) => void,
): (blob: Buffer) => boolean {
  const hostName = knownHostsName(trust.host, trust.port);
  return (blob) => {
    const result = verifyHostKey(blob, trust.known, trust.pinned);
    if (result.verdict === 'known') return true;
    if (result.verdict === 'unknown' && trust.acceptNew) {
      trust.acceptNew(blob);
      return true;
    }
    const seen = {
      url: trust.url,
      host: hostName,
      fingerprint: fingerprint(blob),
      keyType: blobType(blob),
    };
    refuse(
      result.verdict === 'unknown'
        ? berthError.gitHostUnknown({
            ...seen,
            message: `${hostName} is not a known host (its ${seen.keyType} key is ${seen.fingerprint}): add it to known_hosts or pin the fingerprint; nothing was fetched`,
          })
        : berthError.gitHostKeyChanged({
            ...seen,
            expected: result.expected,
            message: `the host key of ${hostName} changed: it showed ${seen.keyType} ${seen.fingerprint}, known: ${result.expected.join(', ')}; nothing was fetched`,
          }),
    );
    return false;
  };
}
