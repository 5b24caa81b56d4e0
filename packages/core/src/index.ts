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
  type ConnectDockerError,
  type ConnectDockerOptions,
} from './docker/connect';
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
  removeDataContainer,
  type CreateDataContainerError,
  type DataContainer,
  type DataContainerSpec,
  type RemoveDataContainerError,
  type RemoveDataContainerOptions,
  type RemovedDataContainer,
} from './containers/data-container';
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
} from './containers/resolve-name';
