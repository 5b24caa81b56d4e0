export {
  findingsAtLeast,
  isSeverity,
  severityAtLeast,
  type Finding,
  type Severity,
} from './findings';

export {
  probeRegistry,
  type ProbeRegistryError,
  type ProbeRegistryOptions,
  type RegistryReport,
} from './registry/probe-registry';
export {
  assessRegistry,
  REGISTRY_FINDING_IDS,
  type RegistryFinding,
  type RegistryFindingId,
} from './registry/assess-registry';
export type {
  Access,
  CredentialsOutcome,
  RegistryFacts,
  TlsState,
} from './registry/registry-facts';
export type { RegistryCredentials } from './registry/registry-session';
export {
  parseChallenges,
  registryAuthOf,
  type AuthChallenge,
  type RegistryAuth,
} from './registry/challenge';
export { isLoopbackHost, parseRegistryUrl, type RegistryTarget } from './registry/registry-url';

export {
  secureRegistryConfig,
  type SecureRegistryConfig,
  type SecureRegistryConfigInput,
} from './secure/secure-registry-config';
export type { RegistryUser } from './secure/htpasswd';
export {
  runSecuredRegistry,
  type RunSecuredRegistryError,
  type RunSecuredRegistryOptions,
  type SecuredRegistry,
} from './secure/run-secured-registry';

export {
  probeStorage,
  type ProbeStorageError,
  type ProbeStorageOptions,
  type StorageReport,
} from './storage/probe-storage';
export {
  assessStorage,
  STORAGE_FINDING_IDS,
  type StorageAssessment,
  type StorageFinding,
  type StorageFindingId,
} from './storage/assess-storage';
export type { DriverAssessment } from './storage/judge-drivers';
export { STORAGE_DRIVERS, type StorageDriver } from './storage/drivers';
export type { StorageFacts } from './storage/storage-facts';
export { storageFactsFromDockerInfo } from './storage/docker-info';
export type { StorageRecommendation } from './storage/recommend';

export {
  auditImage,
  IMAGE_FINDING_IDS,
  type AuditImageError,
  type AuditImageOptions,
  type ImageAudit,
  type ImageFinding,
  type ImageFindingId,
} from './audit/audit-image';
export type { ToolHit } from './audit/find-toolchains';
export { DEFAULT_AUDIT_ROOTS, type ToolKind } from './audit/toolchains';
