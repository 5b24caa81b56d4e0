import type { ResultAsync } from 'neverthrow';
import type { DockerApiError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';

/** What an engine says about itself (`docker info`), in berth's words. */
export interface EngineInfo {
  /** The engine's version, e.g. `20.10.24+dfsg1` or `25.0.3`. */
  readonly serverVersion: string;
  /** The host kernel, e.g. `6.1.0-18-amd64` or `3.10.0-514.el7.x86_64`. */
  readonly kernelVersion: string;
  /** e.g. `Debian GNU/Linux 12 (bookworm)`. */
  readonly operatingSystem: string;
  /** `linux` or `windows`. */
  readonly osType: string;
  readonly architecture: string;
  /** The storage driver in use: `overlay2`, `btrfs`, `devicemapper`, … (`overlayfs` for a containerd snapshotter). */
  readonly driver: string;
  /** The driver's own status lines, in order: `[['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']]`. */
  readonly driverStatus: readonly (readonly [string, string])[];
  /** The engine's warnings, as it prints them under `docker info`. */
  readonly warnings: readonly string[];
  /** The engine's data root, e.g. `/var/lib/docker`. */
  readonly dockerRootDir: string;
  /** `1` or `2`, when the engine says. */
  readonly cgroupVersion?: string;
}

interface InfoAnswer {
  ServerVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  Driver?: string;
  DriverStatus?: unknown;
  Warnings?: unknown;
  DockerRootDir?: string;
  CgroupVersion?: string;
}

function pairs(value: unknown): (readonly [string, string])[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((pair: unknown) =>
    Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string'
      ? [[pair[0], pair[1]] as const]
      : [],
  );
}

/** An engine's `/info` answer as {@link EngineInfo}; missing fields become empty strings. */
export function engineInfoFrom(answer: InfoAnswer): EngineInfo {
  return {
    serverVersion: answer.ServerVersion ?? '',
    kernelVersion: answer.KernelVersion ?? '',
    operatingSystem: answer.OperatingSystem ?? '',
    osType: answer.OSType ?? '',
    architecture: answer.Architecture ?? '',
    driver: answer.Driver ?? '',
    driverStatus: pairs(answer.DriverStatus),
    warnings: Array.isArray(answer.Warnings)
      ? answer.Warnings.filter((w): w is string => typeof w === 'string')
      : [],
    dockerRootDir: answer.DockerRootDir ?? '',
    ...(typeof answer.CgroupVersion === 'string' && { cgroupVersion: answer.CgroupVersion }),
  };
}

/** `docker info`: the engine's version, kernel, storage driver and its status, warnings, data root. */
export function engineInfo(docker: DockerConnection): ResultAsync<EngineInfo, DockerApiError> {
  const client = clientOf(docker);
  return dockerCall('engine info', () => client.info() as Promise<InfoAnswer>).map(engineInfoFrom);
}
