/**
 * The coordination error kinds, shaped exactly like those in `../errors.ts` (`kind`, `message`,
 * typed fields, `cause`) so they can move there unchanged. Until they do, this module holds their
 * constructors and a guard that knows them; the coordination modules import them from here.
 */
import { isBerthError, type BerthError } from '../errors';

interface ErrorBase<K extends string> {
  readonly kind: K;
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * The watched key holds something that is neither a full commit SHA, nor a ref, nor the JSON
 * `{ "commit": … }`: nothing was published, the old content keeps serving.
 */
export interface InvalidAnnouncementError extends ErrorBase<'InvalidAnnouncement'> {
  readonly key: string;
  /** The etcd revision that wrote the value. */
  readonly revision: number;
  /** Why it was refused, e.g. `abbreviated SHA: announce the full 40 hex digits`. */
  readonly reason: string;
  /** The start of the value, printable (control bytes escaped), at most 80 characters. */
  readonly preview: string;
}

/** A node that did not serve the wanted commit when the wait ran out. */
export interface LaggingNode {
  readonly nodeId: string;
  /** What the node serves (undefined before its first publish). */
  readonly commit: string | undefined;
  /** The last etcd revision the node applied. */
  readonly revision: number | undefined;
  readonly healthy: boolean;
  /** Its last failure, when it has one. */
  readonly error: { readonly kind: string; readonly message: string } | undefined;
}

/** `waitForConvergence` ran out of time: the nodes that lag, and why, as their statuses say. */
export interface ConvergenceTimeoutError extends ErrorBase<'ConvergenceTimeout'> {
  readonly key: string;
  readonly commit: string;
  readonly timeoutMs: number;
  readonly minNodes: number;
  /** Live nodes that serve the commit. */
  readonly converged: readonly string[];
  /** Live nodes that do not, with their last error. */
  readonly lagging: readonly LaggingNode[];
}

/** The error kinds of the coordination modules. */
export type CoordinationError = InvalidAnnouncementError | ConvergenceTimeoutError;

/** The `kind` of a {@link CoordinationError}. */
export type CoordinationErrorKind = CoordinationError['kind'];

type CoordinationErrorOf<K extends CoordinationErrorKind> = Extract<CoordinationError, { kind: K }>;

const COORDINATION_KINDS: ReadonlySet<string> = new Set<CoordinationErrorKind>([
  'InvalidAnnouncement',
  'ConvergenceTimeout',
]);

/** True for a berth error of any kind, the coordination kinds included. */
export function isBerthOrCoordinationError(
  value: unknown,
): value is BerthError | CoordinationError {
  if (isBerthError(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { kind, message } = value as { kind?: unknown; message?: unknown };
  return typeof kind === 'string' && COORDINATION_KINDS.has(kind) && typeof message === 'string';
}

type Fields<K extends CoordinationErrorKind> = Omit<CoordinationErrorOf<K>, 'kind'>;

function make<K extends CoordinationErrorKind>(kind: K) {
  return (fields: Fields<K>): CoordinationErrorOf<K> =>
    ({ kind, ...fields }) as CoordinationErrorOf<K>;
}

/** Constructors for the coordination kinds, named as they will be in `berthError`. */
export const coordinationError = {
  invalidAnnouncement: make('InvalidAnnouncement'),
  convergenceTimeout: make('ConvergenceTimeout'),
} as const;
