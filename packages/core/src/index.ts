export {
  berthError,
  describeCause,
  hasKind,
  isBerthError,
  type AbortedError,
  type AmbiguousError,
  type BerthError,
  type BerthErrorKind,
  type BerthErrorOf,
  type ConflictError,
  type CredentialHelperError,
  type DockerApiError,
  type DockerConnectAttempt,
  type DockerEndpointSource,
  type DockerUnreachableError,
  type GitAuthError,
  type GitError,
  type GitFetchError,
  type GitFetchReason,
  type GitObjectError,
  type HookFailedError,
  type NginxConfigInvalidError,
  type TargetIoError,
  type TargetStateChangedError,
  type UnknownRevisionError,
  type UnsafeTreeError,
  type EtcdError,
  type EtcdUnreachableError,
  type ImagePullFailedError,
  type InUseError,
  type InvalidInputError,
  type NotFoundError,
  type ReadinessTimeoutError,
  type RegistryAuthError,
  type TimeoutError,
} from './errors';
export {
  connectDocker,
  DOCKER_PING_TIMEOUT_MS,
  type ConnectDockerError,
  type ConnectDockerOptions,
} from './docker/connect';
export {
  findDockerEndpoint,
  type DiscoveryOptions,
  type DockerEndpointFound,
} from './docker/endpoint-sources';
export type { DockerConnection } from './docker/connection';
export {
  connectEtcd,
  type ConnectEtcdError,
  type ConnectEtcdOptions,
  type EtcdConnection,
} from './coordination/etcd';
export {
  BERTH_VERSION,
  LABEL_MANAGED,
  LABEL_ROLE,
  LABEL_VERSION,
  berthLabels,
  type BerthRole,
} from './labels';
export {
  createDataContainer,
  type CreateDataContainerError,
  type DataContainer,
  type DataContainerSpec,
} from './containers/data-container';
export {
  removeDataContainer,
  type RemoveDataContainerError,
  type RemoveDataContainerOptions,
  type RemovedDataContainer,
} from './containers/remove-data-container';
export {
  runServiceContainer,
  type PortMapping,
  type RestartPolicy,
  type RunServiceContainerError,
  type ServiceContainer,
  type ServiceContainerSpec,
} from './containers/service-container';
export type { ExecError, ExecOptions, ExecResult } from './containers/exec';
export type { Readiness } from './containers/readiness';
export type { EnsureImageError, PullPolicy } from './containers/ensure-image';
export { putFiles } from './containers/put-files';
export { parseImageRef, type ImageRef } from './docker/refs';
// probes primitives
export { engineInfo, type EngineInfo } from './engine/engine-info';
export {
  runOneShotContainer,
  type OneShotResult,
  type OneShotSpec,
  type RunOneShotError,
} from './containers/one-shot';
export {
  readImageFiles,
  type ImageFileEntry,
  type ImageFiles,
  type ReadImageFilesError,
  type ReadImageFilesOptions,
} from './containers/image-filesystem';
export {
  resolveContainerId,
  resolveContainerName,
  resolveContainerNames,
  type ResolveIdOptions,
  type ResolveNameError,
  type ResolveNameOptions,
  type ResolveNamesError,
  type ResolveRefError,
  type NameAnswer,
  type ResolvedNames,
} from './containers/resolve-name';
export {
  openGitSource,
  type GitReadError,
  type GitResolveError,
  type GitSource,
  type GitSourceOptions,
} from './git/source';
export type { CarryApplied } from './git/carry-apply';
export type { BuiltCarry } from './git/carried-pack';
export type { GitAuthCallback, GitCredentials } from './git/auth';
export type { GitSshAuthCallback, GitSshCredentials, GitSshKey } from './git/ssh-auth';
export type { GitHostKeyOptions } from './git/ssh-remote';
export type { GitHostKeyChangedError, GitHostUnknownError } from './errors';
export type { TreeDiff } from './git/tree';
export {
  publishCommit,
  rollbackRelease,
  type ActivationHook,
  type CommitSource,
  type HookContext,
  type PublishError,
  type PublishOptions,
  type PublishProgress,
  type PublishReport,
} from './content/publish';
export {
  DEFAULT_KEEP,
  type ActivateOptions,
  type ContentTarget,
  type ReleaseState,
  type StagedFile,
  type StageReport,
  type StageRequest,
  type TargetError,
} from './content/target';
export { containerTarget, type ContainerTargetOptions } from './content/container-target';
export { directoryTarget } from './content/directory-target';
export { nginxConfigCheck, nginxReload, type NginxHookOptions } from './content/nginx-hooks';
export {
  verifyRelease,
  type VerifyError,
  type VerifyReleaseOptions,
  type VerifyReport,
} from './content/verify-release';
export type { ManifestEntry, ReleaseCheck, ReleaseManifest } from './content/release-manifest';
export {
  judgeTree,
  type TreeEntry,
  type TreeVerdict,
  type UnsafePath,
  type UnsafeReason,
} from './content/tree-safety';
export {
  pullImage,
  type PulledImage,
  type PullImageError,
  type PullImageOptions,
  type PullProgressEvent,
} from './docker/pull';
export {
  lookupRegistryCredentials,
  type LookupRegistryCredentialsError,
  type LookupRegistryCredentialsOptions,
  type RegistryCredentials,
} from './docker/credentials';
// coordination: watchAndPull, announceRevision, waitForConvergence
export { watchAndPull } from './coordination/watch-and-pull';
export type {
  SyncTimings,
  TargetSync,
  WatchAndPullOptions,
  WatchEvent,
  WatchEventType,
  WatchHandle,
  WatchLogger,
  WatchSource,
  WatchSourceError,
  WatchStatus,
  WatchSyncError,
  WatchTarget,
} from './coordination/watch-types';
export {
  announceRevision,
  type AnnounceOptions,
  type AnnouncedRevision,
  type AnnounceRevisionError,
  type CarriedAnnouncement,
  type CarryOptions,
  type CarryReport,
} from './coordination/announce';
export {
  DEFAULT_CARRY_MAX_BYTES,
  DEFAULT_CARRY_TTL_SECONDS,
  carriedKey,
} from './coordination/carried-change';
export type { SyncPath } from './coordination/carried-sync';
export {
  waitForConvergence,
  type WaitForConvergenceError,
  type WaitForConvergenceOptions,
} from './coordination/convergence';
export {
  formatAnnouncement,
  parseAnnouncement,
  type Announcement,
  type AnnouncementProblem,
} from './coordination/announcement';
export { defaultStatusPrefix, type NodeStatus } from './coordination/node-status';
export type { EtcdFailure } from './coordination/etcd-failure';
export type {
  ConvergenceTimeoutError,
  CoordinationError,
  InvalidAnnouncementError,
  LaggingNode,
} from './coordination/watch-errors';
export { listNodeStatuses, readAnnouncement } from './coordination/fleet';
export type { GitCacheCorruptError } from './errors';
export type { PendingHook, Waiting } from './coordination/watch-types';
export { normalizeKey } from './coordination/etcd-key';
export {
  readAnnouncementHistory,
  readFleetStatus,
  type AnnouncementHistory,
  type FleetStatus,
  type PastAnnouncement,
} from './coordination/fleet-status';
