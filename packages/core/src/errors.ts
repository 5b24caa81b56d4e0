/**
 * Every expected failure in berth is one of these plain objects, told apart by `kind`.
 * They cross package copies and process boundaries (`--json`) intact, so they are
 * recognised with {@link isBerthError} / {@link hasKind}, never with `instanceof`.
 *
 * Later parts of berth add their kinds here, in this one module.
 */

/** Where `connectDocker` looked for an engine, and what happened there. */
export interface DockerConnectAttempt {
  readonly source: DockerEndpointSource;
  /** The endpoint this source named, when it named one. */
  readonly endpoint?: string;
  readonly outcome: 'skipped' | 'failed' | 'connected';
  readonly reason: string;
}

export type DockerEndpointSource =
  | 'options'
  | 'DOCKER_HOST'
  | 'DOCKER_CONTEXT'
  | 'config-context'
  | 'rootless-socket'
  | 'desktop-socket'
  | 'default-socket';

interface ErrorBase<K extends string> {
  readonly kind: K;
  readonly message: string;
  readonly cause?: unknown;
}

/** The caller passed something berth will not act on (empty, malformed, contradictory). */
export interface InvalidInputError extends ErrorBase<'InvalidInput'> {
  /** The option or argument at fault, e.g. `spec.volumes[1]`. */
  readonly field: string;
}

/** No Docker engine answered; `attempts` lists every place looked and why each was passed over. */
export interface DockerUnreachableError extends ErrorBase<'DockerUnreachable'> {
  readonly attempts: readonly DockerConnectAttempt[];
}

/** The engine answered with an error that has no more specific kind. */
export interface DockerApiError extends ErrorBase<'DockerApi'> {
  readonly statusCode?: number;
  /** The operation that failed, e.g. `container.create`. */
  readonly operation: string;
}

/** No etcd endpoint answered within the timeout. */
export interface EtcdUnreachableError extends ErrorBase<'EtcdUnreachable'> {
  readonly endpoints: readonly string[];
}

/** etcd answered with an error (auth, permission, compaction, …). */
export interface EtcdError extends ErrorBase<'Etcd'> {
  readonly operation: string;
}

/** A bounded wait ran out. */
export interface TimeoutError extends ErrorBase<'Timeout'> {
  readonly operation: string;
  readonly timeoutMs: number;
}

/** The caller's AbortSignal fired before the operation finished. */
export interface AbortedError extends ErrorBase<'Aborted'> {
  readonly operation: string;
}

/** The thing named does not exist on the engine (or in the registry, for an image). */
export interface NotFoundError extends ErrorBase<'NotFound'> {
  readonly resource: 'container' | 'image' | 'volume' | 'network';
  readonly ref: string;
}

/** A container reference (an id prefix) matches more than one container. */
export interface AmbiguousError extends ErrorBase<'Ambiguous'> {
  readonly ref: string;
  readonly matches: readonly { readonly id: string; readonly name: string }[];
}

/** Something with that name exists and differs from what was asked for; nothing was replaced. */
export interface ConflictError extends ErrorBase<'Conflict'> {
  readonly name: string;
  /** One line per difference: `image: existing nginx:1.25, wanted nginx:1.27`. */
  readonly differences: readonly string[];
}

/** Running containers use it, so berth will not remove or replace it. */
export interface InUseError extends ErrorBase<'InUse'> {
  readonly name: string;
  readonly users: readonly { readonly id: string; readonly name: string }[];
}

/** The registry refused the credentials, or asked for some and got none. */
export interface RegistryAuthError extends ErrorBase<'RegistryAuth'> {
  readonly registry: string;
  readonly image: string;
}

/** The pull failed: the daemon's own message (a bad reference, a missing tag, a broken layer …). */
export interface ImagePullFailedError extends ErrorBase<'ImagePullFailed'> {
  readonly image: string;
}

/** A `docker-credential-<helper>` program failed or answered nonsense. */
export interface CredentialHelperError extends ErrorBase<'CredentialHelper'> {
  readonly helper: string;
  readonly registry: string;
}

/** A service container did not become ready in time; carries its last log lines. */
export interface ReadinessTimeoutError extends ErrorBase<'ReadinessTimeout'> {
  readonly container: string;
  readonly timeoutMs: number;
  readonly lastLogs: readonly string[];
  /** false when the container was left for inspection (`keepOnFailure`). */
  readonly removed: boolean;
}

/** The target changed since the caller looked (another writer, a manual edit): look again. */
export interface TargetStateChangedError extends ErrorBase<'TargetStateChanged'> {
  readonly target: string;
  readonly expected: string | undefined;
  readonly found: string | undefined;
}

/** A file operation on a content target failed (disk full, permissions, a tool missing in the helper). */
export interface TargetIoError extends ErrorBase<'TargetIo'> {
  readonly target: string;
  readonly operation: string;
}

/** A commit's tree that may not be published; every offending path is named, nothing was published. */
export interface UnsafeTreeError extends ErrorBase<'UnsafeTree'> {
  readonly commit: string;
  readonly paths: readonly {
    readonly path: string;
    readonly reason: string;
    readonly detail?: string;
  }[];
}

/** `nginx -t` refused the staged configuration; the old release keeps serving. */
export interface NginxConfigInvalidError extends ErrorBase<'NginxConfigInvalid'> {
  readonly commit: string;
  /** nginx's own words. */
  readonly output: string;
}

/** An activation hook (a check before the swap or an action after it) failed. */
export interface HookFailedError extends ErrorBase<'HookFailed'> {
  readonly hook: 'beforeActivate' | 'afterActivate';
  readonly commit: string;
}

/** The git server refused the credentials (401/403), or asked for some and got none. */
export interface GitAuthError extends ErrorBase<'GitAuth'> {
  readonly url: string;
  /** The HTTP status, when the server answered; absent when the `auth` callback itself failed. */
  readonly statusCode?: number;
}

/** Why a fetch failed, for code that reacts differently to each. */
export type GitFetchReason =
  /** Nothing answered: refused, reset, no route, no such host. */
  | 'unreachable'
  /** The fetch did not finish within `timeoutMs`. */
  | 'timeout'
  /** The URL answers but is not a git repository (404, or not git's smart HTTP). */
  | 'not-a-repository'
  /** Any other HTTP status; see `statusCode`. */
  | 'http'
  /** The server lacks something berth needs (shallow fetches), or answered nonsense. */
  | 'protocol'
  /** Even a fresh clone did not hold every object of the commit's tree. */
  | 'incomplete'
  /** The local cache directory could not be created, read or written. */
  | 'cache';

/** Fetching from the repository failed for a reason other than credentials. */
export interface GitFetchError extends ErrorBase<'GitFetch'> {
  readonly url: string;
  readonly reason: GitFetchReason;
  readonly statusCode?: number;
}

/** The repository has no such branch, tag or commit (or it names something that is not a commit). */
export interface UnknownRevisionError extends ErrorBase<'UnknownRevision'> {
  readonly url: string;
  readonly revision: string;
}

/** An object asked for in the local cache is missing, unreadable, or not what was expected. */
export interface GitObjectError extends ErrorBase<'GitObject'> {
  readonly url: string;
  readonly oid: string;
  readonly problem: 'missing' | 'corrupt' | 'wrong-type' | 'too-large';
}

/**
 * The local git cache cannot be read: a cycle of deltas, a delta whose base is gone, an object
 * or pack that fails its checksum, a truncated or malformed pack. Nothing on the server is wrong:
 * the cache is discarded and cloned again once; this is reported when that did not help.
 */
export interface GitCacheCorruptError extends ErrorBase<'GitCacheCorrupt'> {
  readonly url: string;
  readonly cacheDir: string;
  /** The object whose read failed. */
  readonly oid: string;
  readonly problem: 'delta-cycle' | 'missing-base' | 'checksum' | 'malformed';
  /** True when the cache had already been discarded and cloned again for this read. */
  readonly recloned: boolean;
}

/** Any of the git source's error kinds. */
export type GitError =
  | GitAuthError
  | GitFetchError
  | UnknownRevisionError
  | GitObjectError
  | GitCacheCorruptError
  | GitHostUnknownError
  | GitHostKeyChangedError;

/** An SSH git server whose host key no known_hosts entry (nor pinned fingerprint) names: nothing was fetched. */
export interface GitHostUnknownError extends ErrorBase<'GitHostUnknown'> {
  readonly url: string;
  /** `host` or `[host]:port`, as known_hosts would name it. */
  readonly host: string;
  /** The key the server showed, `SHA256:…` as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  readonly keyType: string;
}

/** An SSH git server that showed another key than the one known for it: nothing was fetched. */
export interface GitHostKeyChangedError extends ErrorBase<'GitHostKeyChanged'> {
  readonly url: string;
  readonly host: string;
  /** The key the server showed. */
  readonly fingerprint: string;
  readonly keyType: string;
  /** The fingerprints known for the host. */
  readonly expected: readonly string[];
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

export type BerthError =
  | InvalidAnnouncementError
  | ConvergenceTimeoutError
  | GitAuthError
  | GitFetchError
  | UnknownRevisionError
  | GitObjectError
  | GitCacheCorruptError
  | GitHostUnknownError
  | GitHostKeyChangedError
  | TargetStateChangedError
  | TargetIoError
  | UnsafeTreeError
  | NginxConfigInvalidError
  | HookFailedError
  | InvalidInputError
  | NotFoundError
  | AmbiguousError
  | ConflictError
  | InUseError
  | RegistryAuthError
  | ImagePullFailedError
  | CredentialHelperError
  | ReadinessTimeoutError
  | DockerUnreachableError
  | DockerApiError
  | EtcdUnreachableError
  | EtcdError
  | TimeoutError
  | AbortedError;

export type BerthErrorKind = BerthError['kind'];

/** The member of the union with that `kind`. */
export type BerthErrorOf<K extends BerthErrorKind> = Extract<BerthError, { kind: K }>;

const KINDS: ReadonlySet<string> = new Set<BerthErrorKind>([
  'InvalidAnnouncement',
  'ConvergenceTimeout',
  'GitAuth',
  'GitFetch',
  'UnknownRevision',
  'GitObject',
  'GitHostUnknown',
  'GitHostKeyChanged',
  'TargetStateChanged',
  'TargetIo',
  'UnsafeTree',
  'NginxConfigInvalid',
  'HookFailed',
  'InvalidInput',
  'NotFound',
  'Ambiguous',
  'Conflict',
  'InUse',
  'RegistryAuth',
  'ImagePullFailed',
  'CredentialHelper',
  'ReadinessTimeout',
  'DockerUnreachable',
  'DockerApi',
  'EtcdUnreachable',
  'Etcd',
  'Timeout',
  'Aborted',
  'GitCacheCorrupt',
]);

/** True for any berth error object, whichever copy of the package made it. */
export function isBerthError(value: unknown): value is BerthError {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, message } = value as { kind?: unknown; message?: unknown };
  return typeof kind === 'string' && KINDS.has(kind) && typeof message === 'string';
}

/** Narrow a berth error (or anything) to one kind: `if (hasKind(e, 'NotFound')) e.ref`. */
export function hasKind<K extends BerthErrorKind>(
  value: unknown,
  kind: K,
): value is BerthErrorOf<K> {
  return isBerthError(value) && value.kind === kind;
}

type Fields<K extends BerthErrorKind> = Omit<BerthErrorOf<K>, 'kind'>;

function make<K extends BerthErrorKind>(kind: K) {
  return (fields: Fields<K>): BerthErrorOf<K> => ({ kind, ...fields }) as BerthErrorOf<K>;
}

/** Constructors, one per kind: `berthError.invalidInput({ field, message })`. */
export const berthError = {
  invalidAnnouncement: make('InvalidAnnouncement'),
  convergenceTimeout: make('ConvergenceTimeout'),
  gitAuth: make('GitAuth'),
  gitFetch: make('GitFetch'),
  unknownRevision: make('UnknownRevision'),
  gitObject: make('GitObject'),
  gitHostUnknown: make('GitHostUnknown'),
  gitHostKeyChanged: make('GitHostKeyChanged'),
  targetStateChanged: make('TargetStateChanged'),
  targetIo: make('TargetIo'),
  unsafeTree: make('UnsafeTree'),
  nginxConfigInvalid: make('NginxConfigInvalid'),
  hookFailed: make('HookFailed'),
  invalidInput: make('InvalidInput'),
  notFound: make('NotFound'),
  ambiguous: make('Ambiguous'),
  conflict: make('Conflict'),
  inUse: make('InUse'),
  registryAuth: make('RegistryAuth'),
  imagePullFailed: make('ImagePullFailed'),
  credentialHelper: make('CredentialHelper'),
  readinessTimeout: make('ReadinessTimeout'),
  dockerUnreachable: make('DockerUnreachable'),
  dockerApi: make('DockerApi'),
  etcdUnreachable: make('EtcdUnreachable'),
  etcd: make('Etcd'),
  timeout: make('Timeout'),
  aborted: make('Aborted'),
  gitCacheCorrupt: make('GitCacheCorrupt'),
} as const;

/** A one-line description of any thrown value, for `message` fields. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause) ?? String(cause);
  } catch {
    return String(cause);
  }
}
