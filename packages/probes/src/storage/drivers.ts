/** The storage drivers berth knows, with what each needs from the kernel and the engine. */
export const STORAGE_DRIVERS = [
  'overlay2',
  'fuse-overlayfs',
  'btrfs',
  'zfs',
  'aufs',
  'overlay',
  'devicemapper',
  'vfs',
] as const;

export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

export interface DriverRule {
  readonly driver: StorageDriver;
  /** Where the kernel must list support: a filesystem, or a block device driver. */
  readonly kernel?: { readonly table: 'filesystems' | 'blockDevices'; readonly name: string };
  /** The oldest kernel it works on (major.minor). */
  readonly minKernel?: readonly [number, number];
  /** RHEL/CentOS 3.10 kernels from this build on have it backported. */
  readonly rhelBuild?: number;
  /** Engine versions (major.minor) that added, deprecated and removed it. */
  readonly added?: readonly [number, number];
  readonly deprecated?: readonly [number, number];
  readonly removed?: readonly [number, number];
  /** The data root must be on this filesystem. */
  readonly needsRootOn?: string;
  /** Backing filesystems it cannot run on. */
  readonly notOver?: readonly string[];
  /** Whether it shares unchanged files between layers on disk (copy-on-write). */
  readonly copyOnWrite: boolean;
  /** A rootless engine needs this kernel for it (overlay2: 5.11; Ubuntu and Debian patch older ones). */
  readonly rootlessMinKernel?: readonly [number, number];
}

/** Docker since 1.8 needs kernel 3.10; until 1.7 it also ran on RHEL 6's 2.6.32-431. */
export const ENGINE_MIN_KERNEL: readonly [number, number] = [3, 10];

export const DRIVER_RULES: Readonly<Record<StorageDriver, DriverRule>> = {
  overlay2: {
    driver: 'overlay2',
    kernel: { table: 'filesystems', name: 'overlay' },
    minKernel: [4, 0],
    rhelBuild: 514,
    added: [1, 12],
    notOver: ['btrfs', 'zfs', 'aufs', 'overlayfs', 'ecryptfs'],
    copyOnWrite: true,
    rootlessMinKernel: [5, 11],
  },
  'fuse-overlayfs': {
    driver: 'fuse-overlayfs',
    kernel: { table: 'filesystems', name: 'fuse' },
    minKernel: [4, 18],
    added: [20, 10],
    copyOnWrite: true,
  },
  btrfs: {
    driver: 'btrfs',
    kernel: { table: 'filesystems', name: 'btrfs' },
    needsRootOn: 'btrfs',
    copyOnWrite: true,
  },
  zfs: {
    driver: 'zfs',
    kernel: { table: 'filesystems', name: 'zfs' },
    needsRootOn: 'zfs',
    copyOnWrite: true,
  },
  aufs: {
    driver: 'aufs',
    kernel: { table: 'filesystems', name: 'aufs' },
    deprecated: [20, 10],
    removed: [24, 0],
    notOver: ['aufs', 'btrfs', 'zfs', 'overlayfs', 'ecryptfs'],
    copyOnWrite: true,
  },
  overlay: {
    driver: 'overlay',
    kernel: { table: 'filesystems', name: 'overlay' },
    minKernel: [3, 18],
    rhelBuild: 327,
    added: [1, 9],
    deprecated: [18, 9],
    removed: [24, 0],
    notOver: ['btrfs', 'zfs', 'aufs', 'overlayfs', 'ecryptfs'],
    copyOnWrite: true,
  },
  devicemapper: {
    driver: 'devicemapper',
    kernel: { table: 'blockDevices', name: 'device-mapper' },
    deprecated: [18, 9],
    removed: [25, 0],
    copyOnWrite: true,
  },
  vfs: { driver: 'vfs', copyOnWrite: false },
};

export function isKnownDriver(name: string): name is StorageDriver {
  return (STORAGE_DRIVERS as readonly string[]).includes(name);
}
