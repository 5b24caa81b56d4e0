// What Jenkins (or a person) calls after pushing: write the commit to the key.
import { ResultAsync, err, errAsync, ok, okAsync, type Result } from 'neverthrow';
import { berthError, describeCause, type InvalidInputError } from '../errors';
import { buildCarriedPack } from '../git/carried-pack';
import { openRepositoryObjects } from '../git/repository-objects';
import {
  formatAnnouncement,
  isByLine,
  isFullSha,
  isRefName,
  parseAnnouncement,
} from './announcement';
import {
  DEFAULT_CARRY_MAX_BYTES,
  DEFAULT_CARRY_TTL_SECONDS,
  carriedKey,
  encodeCarried,
  storeCarried,
} from './carried-change';
import type { EtcdConnection } from './etcd';
import type { EtcdCallOptions, EtcdFailure } from './etcd-failure';
import { normalizeKey } from './etcd-key';
import { getKey, putKey } from './etcd-kv';

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

/** Carrying the change in etcd, from a checkout that has the commit (see docs/watching.md). */
export interface CarryOptions {
  /** A git work tree, a linked work tree or a bare repository holding the commit announced. */
  readonly repository: string;
  /** The largest value stored (header and pack); past it nothing is carried. Default 512 KiB. */
  readonly maxBytes?: number;
  /** The carried key's lease: it is gone after this many seconds. Default 600. */
  readonly ttlSeconds?: number;
}

/** `announceRevision`'s options: etcd's call options, and `carry` to carry the change. */
export interface AnnounceOptions extends EtcdCallOptions {
  readonly carry?: CarryOptions;
}

/** Whether the change was carried, and if not, why the nodes fetch it from the origin. */
export type CarryReport =
  | {
      readonly carried: true;
      /** Where it is stored: `carriedKey(key, commit)`. */
      readonly key: string;
      /** The commit announced before: the pack is thin against it. */
      readonly base: string;
      readonly bytes: number;
      readonly objects: number;
      readonly ttlSeconds: number;
    }
  | {
      readonly carried: false;
      /**
       * `no-base`: the key held no commit before; `same-commit`: it already announced this one;
       * `base-not-in-repository`: the checkout lacks the commit announced before; `over-cap`:
       * the change is larger than `maxBytes`.
       */
      readonly reason: 'no-base' | 'same-commit' | 'base-not-in-repository' | 'over-cap';
      readonly message: string;
      /** The size reached when it went over the cap. */
      readonly bytes?: number;
    };

/** An announcement made with `carry`: its revision and what was carried. */
export interface CarriedAnnouncement {
  readonly revision: number;
  readonly carried: CarryReport;
}

/** etcd refuses requests past 1.5 MiB; the carried value must leave room for the rest. */
const MAX_CARRY_BYTES = 1_400_000;

/**
 * With `carry`: first stores the objects that take a node from the commit the key announced before
 * to this one (a thin pack read from `carry.repository`) at `carriedKey(key, commit)` under a
 * lease, then announces with `"carried": <base>`, so nodes whose cache holds the base publish
 * without asking the origin. Without a base, or over `carry.maxBytes`, it announces plainly and
 * `carried` says why. A `repository` that is not one, or lacks the commit, is `InvalidInput`.
 */
export function announceRevision(
  etcd: EtcdConnection,
  key: string,
  announcement: AnnouncedRevision,
  options: AnnounceOptions & { readonly carry: CarryOptions },
): ResultAsync<CarriedAnnouncement, AnnounceRevisionError>;
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
  options?: EtcdCallOptions & { readonly carry?: never },
): ResultAsync<number, AnnounceRevisionError>;
export function announceRevision(
  etcd: EtcdConnection,
  key: string,
  announcement: AnnouncedRevision,
  options: AnnounceOptions = {},
):
  | ResultAsync<number, AnnounceRevisionError>
  | ResultAsync<CarriedAnnouncement, AnnounceRevisionError> {
  const normalized = normalizeKey(key);
  if (normalized.isErr()) return errAsync<number, AnnounceRevisionError>(normalized.error);
  const { commit, ref, by } = announcement ?? {};
  const problem =
    typeof commit !== 'string' || !isFullSha(commit)
      ? { field: 'commit', message: 'commit must be a full commit SHA (40 hex digits)' }
      : ref !== undefined && (typeof ref !== 'string' || !isRefName(ref))
        ? { field: 'ref', message: `"${String(ref)}" is not a ref name` }
        : by !== undefined && !isByLine(by)
          ? { field: 'by', message: 'by must be one line of at most 256 characters' }
          : undefined;
  if (problem) return errAsync<number, AnnounceRevisionError>(berthError.invalidInput(problem));
  const { carry, ...call } = options;
  if (carry === undefined)
    return putKey(etcd, normalized.value, formatAnnouncement({ commit, ref, by }), call);
  const checked = checkCarry(carry);
  if (checked.isErr()) return errAsync<number, AnnounceRevisionError>(checked.error);
  const sha = commit.toLowerCase();
  return carryChange(etcd, normalized.value, sha, checked.value, call).andThen((report) =>
    putKey(
      etcd,
      normalized.value,
      formatAnnouncement({ commit, ref, by, ...(report.carried && { carried: report.base }) }),
      call,
    ).map((revision): CarriedAnnouncement => ({ revision, carried: report })),
  );
}

interface CheckedCarry {
  readonly repository: string;
  readonly maxBytes: number;
  readonly ttlSeconds: number;
}

function checkCarry(carry: CarryOptions): Result<CheckedCarry, InvalidInputError> {
  const {
    repository,
    maxBytes = DEFAULT_CARRY_MAX_BYTES,
    ttlSeconds = DEFAULT_CARRY_TTL_SECONDS,
  } = carry;
  const invalid = (field: string, message: string) =>
    err(berthError.invalidInput({ field: `carry.${field}`, message }));
  if (typeof repository !== 'string' || repository.length === 0)
    return invalid('repository', 'carry.repository must be the path of a git repository');
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024 || maxBytes > MAX_CARRY_BYTES)
    return invalid(
      'maxBytes',
      `carry.maxBytes must be a whole number of bytes from 1024 to ${MAX_CARRY_BYTES}`,
    );
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
    return invalid('ttlSeconds', 'carry.ttlSeconds must be a whole number of seconds, at least 1');
  return ok({ repository, maxBytes, ttlSeconds });
}

const notCarried = (
  reason: Extract<CarryReport, { carried: false }>['reason'],
  message: string,
  bytes?: number,
): CarryReport => ({ carried: false, reason, message, ...(bytes !== undefined && { bytes }) });

/** Reads the base from the key, builds the pack from the repository and stores it. */
function carryChange(
  etcd: EtcdConnection,
  key: string,
  commit: string,
  carry: CheckedCarry,
  call: EtcdCallOptions,
): ResultAsync<CarryReport, AnnounceRevisionError> {
  const badRepository = (message: string) =>
    berthError.invalidInput({ field: 'carry.repository', message });
  return getKey(etcd, key, call).andThen((read) => {
    const before = read.kv ? parseAnnouncement(read.kv.value) : undefined;
    const base = before?.isOk() ? before.value.commit : undefined;
    if (base === undefined)
      return okAsync(
        notCarried('no-base', `${key} announced no commit before: nothing to carry against`),
      );
    if (base === commit)
      return okAsync(notCarried('same-commit', `${key} already announces ${commit}`));
    const storedKey = carriedKey(key, commit);
    return ResultAsync.fromPromise(
      (async () => {
        const repository = await openRepositoryObjects(carry.repository);
        if (typeof repository === 'string') return repository;
        try {
          const header = encodeCarried({ commit, base, by: 'announcer' }, Buffer.alloc(0)).length;
          const built = await buildCarriedPack(
            (oid) => repository.read(oid),
            base,
            commit,
            carry.maxBytes - header,
          );
          return built;
        } finally {
          await repository.close();
        }
      })(),
      (cause) => badRepository(`${carry.repository} cannot be read: ${describeCause(cause)}`),
    ).andThen((built): ResultAsync<CarryReport, AnnounceRevisionError> => {
      if (typeof built === 'string') return errAsync(badRepository(built));
      switch (built.kind) {
        case 'missing':
          if (built.what === 'base')
            return okAsync(
              notCarried(
                'base-not-in-repository',
                `${carry.repository} does not have ${base} (announced before) whole: nothing carried`,
              ),
            );
          return errAsync(
            badRepository(
              built.what === 'commit'
                ? `${carry.repository} does not have commit ${commit}`
                : `${carry.repository} lacks object ${built.oid} of commit ${commit}`,
            ),
          );
        case 'over-cap':
          return okAsync(
            notCarried(
              'over-cap',
              `the change from ${base} is over ${carry.maxBytes} bytes: nodes fetch it from the origin`,
              built.bytes,
            ),
          );
        case 'built': {
          const value = encodeCarried({ commit, base, by: 'announcer' }, built.pack);
          return storeCarried(etcd, storedKey, value, carry.ttlSeconds, call).map(
            (): CarryReport => ({
              carried: true,
              key: storedKey,
              base,
              bytes: value.length,
              objects: built.objects,
              ttlSeconds: carry.ttlSeconds,
            }),
          );
        }
      }
    });
  });
}
