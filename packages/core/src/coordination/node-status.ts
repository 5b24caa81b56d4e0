// A node's status as written under the status prefix, one key per node: pure encoding and naming.
import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';
import { normalizeKey } from './etcd-key';
import type { PendingHook, Waiting } from './watch-types';

/** What a watcher node says about itself, at `<statusPrefix><nodeId>`. */
export interface NodeStatus {
  readonly nodeId: string;
  /** The commit every target of the node serves (undefined before the first publish). */
  readonly commit: string | undefined;
  /** The etcd revision of the announcement last applied. */
  readonly revision: number | undefined;
  /** false while the node's last attempt failed. */
  readonly ok: boolean;
  /** false while etcd is unreachable from the node or its last attempt failed. */
  readonly healthy: boolean;
  /** The node's last failure, while `ok` is false. */
  readonly error: { readonly kind: string; readonly message: string } | undefined;
  /** When the node wrote this (ISO 8601). */
  readonly updatedAt: string;
  /** Since when the node serves `commit` (ISO 8601). */
  readonly activeSince?: string;
  /** The last sync's time from the announcement reaching the node to every target serving it, in ms. */
  readonly lastSyncMs?: number;
  /** An after-swap hook (e.g. the nginx reload) failing for `commit`: the node does not count as serving it. */
  readonly pendingHook?: PendingHook;
  /** Set while the node waits for a target's container to exist: `state` is then `waiting`. */
  readonly waiting?: Waiting;
  /** The disk the node's git cache and releases take, measured at most once a minute after a sync. */
  readonly diskUsage?: NodeDiskUsage;
  /**
   * How the served commit reached the node's cache: `carried` (in etcd with the announcement),
   * `shared` (by the node elected to fetch), `origin` (fetched from the git server), `cache`.
   */
  readonly path?: 'carried' | 'shared' | 'origin' | 'cache';
  /** `waiting` for a container, else `active`. Absent from nodes of older versions. */
  readonly state?: 'active' | 'waiting';
}

/** Bytes on disk; a figure that could not be measured is absent. */
export interface NodeDiskUsage {
  /** The git cache (every pack and index). */
  readonly cacheBytes?: number;
  /** Every target's releases, staging and trash (a hard-linked file counted once per target). */
  readonly releasesBytes?: number;
  /** When it was measured (ISO 8601). */
  readonly measuredAt: string;
}

/** Where nodes write their status when not told: beside, never under, the watched key. */
export function defaultStatusPrefix(key: string): string {
  return `berth/status/${normalizeKey(key).unwrapOr(key)}/`;
}

/** The key a node writes its status to. */
export function statusKey(prefix: string, nodeId: string): string {
  return `${prefix}${nodeId}`;
}

/** A node id is one path segment of printable characters. */
export function checkNodeId(nodeId: unknown): Result<string, InvalidInputError> {
  return typeof nodeId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(nodeId)
    ? ok(nodeId)
    : err(
        berthError.invalidInput({
          field: 'nodeId',
          message:
            'nodeId must be 1–128 characters of letters, digits and . _ : @ -, starting with a letter or digit',
        }),
      );
}

/**
 * The watched key and the status prefix must not overlap: a status write must never look like a
 * change of the key, whether the key is watched alone or as a prefix.
 */
export function checkStatusPrefix(key: string, prefix: string): Result<string, InvalidInputError> {
  if (prefix.length === 0 || prefix.startsWith(key) || key.startsWith(prefix)) {
    return err(
      berthError.invalidInput({
        field: 'statusPrefix',
        message: `statusPrefix "${prefix}" overlaps the watched key "${key}": status writes would look like announcements`,
      }),
    );
  }
  return ok(prefix);
}

/** A status as stored: JSON. */
export function encodeStatus(status: NodeStatus): string {
  return JSON.stringify(status);
}

const optionalString = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A stored status, or undefined for something that is not one (another tool's key). */
export function decodeStatus(value: Buffer): NodeStatus | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const s = parsed as Record<string, unknown>;
  if (typeof s.nodeId !== 'string' || typeof s.ok !== 'boolean') return undefined;
  const error = s.error as { kind?: unknown; message?: unknown } | undefined;
  const pendingHook = decodePendingHook(s.pendingHook);
  const diskUsage = decodeDiskUsage(s.diskUsage);
  const w = s.waiting as Record<string, unknown> | undefined;
  const waiting: Waiting | undefined =
    w && typeof w.container === 'string' && typeof w.message === 'string'
      ? {
          for: 'container',
          container: w.container,
          message: w.message,
          since: optionalString(w.since) ?? '',
        }
      : undefined;
  return {
    nodeId: s.nodeId,
    commit: optionalString(s.commit),
    revision: typeof s.revision === 'number' ? s.revision : undefined,
    ok: s.ok,
    healthy: s.healthy === true,
    error:
      error && typeof error.kind === 'string' && typeof error.message === 'string'
        ? { kind: error.kind, message: error.message }
        : undefined,
    updatedAt: optionalString(s.updatedAt) ?? '',
    ...(typeof s.activeSince === 'string' && { activeSince: s.activeSince }),
    ...(typeof s.lastSyncMs === 'number' &&
      Number.isFinite(s.lastSyncMs) && { lastSyncMs: s.lastSyncMs }),
    ...(pendingHook && { pendingHook }),
    ...(s.state === 'waiting' || s.state === 'active' ? { state: s.state } : {}),
    ...(s.path === 'carried' || s.path === 'shared' || s.path === 'origin' || s.path === 'cache'
      ? { path: s.path }
      : {}),
    ...(waiting && { waiting }),
    ...(diskUsage && { diskUsage }),
  };
}

const byteCount = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

function decodeDiskUsage(value: unknown): NodeDiskUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  if (typeof d.measuredAt !== 'string') return undefined;
  const cacheBytes = byteCount(d.cacheBytes);
  const releasesBytes = byteCount(d.releasesBytes);
  return {
    ...(cacheBytes !== undefined && { cacheBytes }),
    ...(releasesBytes !== undefined && { releasesBytes }),
    measuredAt: d.measuredAt,
  };
}

function decodePendingHook(value: unknown): PendingHook | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const h = value as Record<string, unknown>;
  const error = h.error as { kind?: unknown; message?: unknown } | undefined;
  if (
    typeof h.target !== 'string' ||
    typeof h.commit !== 'string' ||
    typeof error?.kind !== 'string' ||
    typeof error.message !== 'string'
  )
    return undefined;
  return {
    hook: 'afterActivate',
    target: h.target,
    commit: h.commit,
    attempts: typeof h.attempts === 'number' ? h.attempts : 1,
    since: optionalString(h.since) ?? '',
    error: { kind: error.kind, message: error.message },
  };
}
