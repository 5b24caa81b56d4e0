export {
  berthError,
  describeCause,
  hasKind,
  isBerthError,
  type AbortedError,
  type BerthError,
  type BerthErrorKind,
  type BerthErrorOf,
  type DockerApiError,
  type DockerConnectAttempt,
  type DockerEndpointSource,
  type DockerUnreachableError,
  type EtcdError,
  type EtcdUnreachableError,
  type InvalidInputError,
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
