// A carried change as stored in etcd: beside the watched key (never under it), one key per
// commit, under a lease so it expires: a one-line JSON header, then the pack's bytes.
import type { ResultAsync } from 'neverthrow';
import { normalizeKey } from './etcd-key';
import type { EtcdConnection } from './etcd';
import type { EtcdCallOptions, EtcdFailure } from './etcd-failure';
import { putKey } from './etcd-kv';
import { grantLease } from './etcd-lease';

/** The largest carried value stored by default (etcd refuses requests past 1.5 MiB). */
export const DEFAULT_CARRY_MAX_BYTES = 512 * 1024;
/** How long a carried change stays in etcd by default: nodes that come later fetch from the origin. */
export const DEFAULT_CARRY_TTL_SECONDS = 600;

/** Who made a carried change: the announcer (from its checkout) or the node elected to fetch. */
export type CarriedBy = 'announcer' | `node:${string}`;

/** What the header of a carried value says. */
export interface CarriedHeader {
  readonly commit: string;
  /** The commit the pack is thin against: a cache holding it whole can apply the pack. */
  readonly base: string;
  readonly by: CarriedBy;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
/** A header longer than this is not one. */
const MAX_HEADER_BYTES = 1024;

/** Where the change carried to `commit` for `key` is stored: `berth/carried/<key>/<commit>`. */
export function carriedKey(key: string, commit: string): string {
  return `berth/carried/${normalizeKey(key).unwrapOr(key)}/${commit.toLowerCase()}`;
}

/** The lock the node elected to fetch `commit` holds: `berth/fetch/<key>/<commit>`. */
export function fetchLockKey(key: string, commit: string): string {
  return `berth/fetch/${normalizeKey(key).unwrapOr(key)}/${commit.toLowerCase()}`;
}

/** The stored value: the header line, then the pack. */
export function encodeCarried(header: CarriedHeader, pack: Buffer): Buffer {
  const line = JSON.stringify({ v: 1, commit: header.commit, base: header.base, by: header.by });
  return Buffer.concat([Buffer.from(`${line}\n`, 'utf8'), pack]);
}

/** A stored value's header and pack, or what is wrong with it. */
export function decodeCarried(
  value: Buffer,
): { readonly header: CarriedHeader; readonly pack: Buffer } | string {
  const newline = value.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (newline < 0) return 'no header line';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8', 0, newline));
  } catch {
    return 'the header is not JSON';
  }
  const h = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (h.v !== 1) return `header version ${String(h.v)} is not 1`;
  if (typeof h.commit !== 'string' || !FULL_SHA.test(h.commit)) return 'the header has no commit';
  if (typeof h.base !== 'string' || !FULL_SHA.test(h.base)) return 'the header has no base';
  const by = h.by;
  if (by !== 'announcer' && !(typeof by === 'string' && by.startsWith('node:')))
    return 'the header does not say who carried it';
  return {
    header: { commit: h.commit, base: h.base, by: by as CarriedBy },
    pack: value.subarray(newline + 1),
  };
}

/** Stores a carried value under a fresh lease of `ttlSeconds` (never kept alive: it expires). */
export function storeCarried(
  etcd: EtcdConnection,
  key: string,
  value: Buffer,
  ttlSeconds: number,
  options: EtcdCallOptions = {},
): ResultAsync<number, EtcdFailure> {
  return grantLease(etcd, ttlSeconds, options).andThen((lease) =>
    putKey(etcd, key, value, { ...options, lease: lease.id }),
  );
}
