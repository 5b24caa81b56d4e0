import type { EngineInfo } from '@berth/core';

/** What `probeStorage` gathers; `assessStorage` judges it. Plain data, JSON-safe, so it can be recorded. */
export interface StorageFacts {
  /** The engine's version: `20.10.24+dfsg1`, `1.12.6`, `25.0.3`; `''` when unknown (a paste without `Server Version`). */
  readonly engineVersion: string;
  /** When the version is unknown but the paste dates the engine: it is older than this (`1.11`). */
  readonly engineBefore?: string;
  /** The host kernel: `6.1.0-18-amd64`, `3.10.0-514.el7.x86_64`; `''` when unknown. */
  readonly kernelVersion: string;
  readonly operatingSystem?: string;
  /** `linux` or `windows`; a Windows engine has none of the Linux drivers. */
  readonly osType?: string;
  /** The driver in use (`overlay2`, `btrfs`, …; `overlayfs` for a containerd snapshotter). */
  readonly driver: string;
  readonly driverStatus: readonly (readonly [string, string])[];
  readonly warnings: readonly string[];
  readonly rootDir: string;
  /** From `/proc/filesystems` as a container sees it; undefined when it could not be read. */
  readonly kernelFilesystems?: readonly string[];
  /** Block device drivers from `/proc/devices` (`device-mapper`, `loop`, …); undefined when unread. */
  readonly kernelBlockDevices?: readonly string[];
  /** Why the kernel tables could not be read. */
  readonly kernelTablesError?: string;
  /** A driver someone wants (daemon.json, a benchmark): judged as if asked for. */
  readonly requestedDriver?: string;
  /** The engine runs rootless (`Security Options: rootless`, or a data root under `~/.local/share/docker`). */
  readonly rootless?: boolean;
  /** Where the facts came from; says what a missing kernel table means and how to get it. */
  readonly source?: 'probeStorage' | 'docker info';
  /** What `storageFactsFromDockerInfo` concluded from indirect evidence, in words. */
  readonly inferred?: readonly string[];
}

/**
 * Reads `cat /proc/filesystems /proc/devices` output: first `nodev\tname` / `\tname` lines,
 * then the `Character devices:` and `Block devices:` tables. Never throws.
 */
export function parseKernelTables(text: string): { filesystems: string[]; blockDevices: string[] } {
  const filesystems: string[] = [];
  const blockDevices: string[] = [];
  let section: 'filesystems' | 'character' | 'block' = 'filesystems';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^Character devices:/i.test(line)) section = 'character';
    else if (/^Block devices:/i.test(line)) section = 'block';
    else if (section === 'filesystems') {
      const name = line.split(/\s+/).pop();
      if (name) filesystems.push(name);
    } else if (section === 'block') {
      const match = /^\d+\s+(\S+)$/.exec(line);
      if (match?.[1]) blockDevices.push(match[1]);
    }
  }
  return { filesystems, blockDevices };
}

/** The facts from what the engine says about itself and what its kernel lists. */
export function storageFactsFrom(
  info: EngineInfo,
  kernelTables: { filesystems: string[]; blockDevices: string[] } | { error: string },
  requestedDriver?: string,
): StorageFacts {
  return {
    engineVersion: info.serverVersion,
    kernelVersion: info.kernelVersion,
    ...(info.operatingSystem && { operatingSystem: info.operatingSystem }),
    ...(info.osType && { osType: info.osType }),
    driver: info.driver,
    driverStatus: info.driverStatus,
    warnings: info.warnings,
    rootDir: info.dockerRootDir,
    ...(/\/\.local\/share\/docker$/.test(info.dockerRootDir) && { rootless: true }),
    source: 'probeStorage',
    ...('error' in kernelTables
      ? { kernelTablesError: kernelTables.error }
      : {
          kernelFilesystems: kernelTables.filesystems,
          kernelBlockDevices: kernelTables.blockDevices,
        }),
    ...(requestedDriver !== undefined && { requestedDriver }),
  };
}

/** A driver status value by its label, e.g. `Backing Filesystem`. */
export function statusValue(facts: StorageFacts, label: string): string | undefined {
  return facts.driverStatus.find(([key]) => key.toLowerCase() === label.toLowerCase())?.[1];
}
