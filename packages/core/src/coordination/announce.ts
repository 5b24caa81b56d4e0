// What Jenkins (or a person) calls after pushing: write the commit to the key.
import { errAsync, type ResultAsync } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';
import { formatAnnouncement, isByLine, isFullSha, isRefName } from './announcement';
import type { EtcdConnection } from './etcd';
import type { EtcdCallOptions, EtcdFailure } from './etcd-failure';
import { normalizeKey } from './etcd-key';
import { putKey } from './etcd-kv';

/** What to announce: the commit every node must serve. */
export interface AnnouncedRevision {
  /** A full commit SHA. */
  readonly commit: string;
  /** The ref it was built from, for the record (nodes publish `commit`). */
  readonly ref?: string;
  /** Who announced it, e.g. `jenkins#1234`. */
  readonly by?: string;
}

/** Everything `announceRevision` can fail with. */
export type AnnounceRevisionError = InvalidInputError | EtcdFailure;

/**
 * Writes `{ "commit": …, "ref"?: …, "by"?: … }` to `key` (its slashes normalised: see
 * `normalizeKey`) and answers the etcd revision of the
 * write; every node watching the key publishes that commit. Wait for them with
 * `waitForConvergence`.
 */
export function announceRevision(
  etcd: EtcdConnection,
  key: string,
  announcement: AnnouncedRevision,
  options: EtcdCallOptions = {},
): ResultAsync<number, AnnounceRevisionError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync(normalized.error);
  const { commit, ref, by } = announcement ?? {};
  const problem =
    typeof commit !== 'string' || !isFullSha(commit)
      ? { field: 'commit', message: 'commit must be a full commit SHA (40 hex digits)' }
      : ref !== undefined && (typeof ref !== 'string' || !isRefName(ref))
        ? { field: 'ref', message: `"${String(ref)}" is not a ref name` }
        : by !== undefined && !isByLine(by)
          ? { field: 'by', message: 'by must be one line of at most 256 characters' }
          : undefined;
  if (problem) return errAsync(berthError.invalidInput(problem));
  const value = formatAnnouncement({ commit, ref, by });
  return putKey(etcd, normalized.value, value, options);
}
