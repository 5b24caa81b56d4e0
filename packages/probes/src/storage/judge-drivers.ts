import { DRIVER_RULES, STORAGE_DRIVERS, type DriverRule, type StorageDriver } from './drivers';
import { statusValue, type StorageFacts } from './storage-facts';
import { atLeast, formatVersion, parseEngineVersion, parseKernelVersion } from './versions';

/** One driver judged against one engine and kernel. */
export interface DriverAssessment {
  readonly driver: StorageDriver;
  readonly inUse: boolean;
  /** `not-needed`: the driver needs nothing from the kernel (vfs). */
  readonly kernel: 'supported' | 'missing' | 'too-old' | 'unknown' | 'not-needed';
  readonly engine: 'supported' | 'deprecated' | 'removed' | 'too-old' | 'unknown';
  /** Whether the data root's filesystem suits it. */
  readonly backing: 'ok' | 'unsupported' | 'unknown';
  readonly usable: boolean | 'unknown';
  /** One line: why it can or cannot run here. */
  readonly reason: string;
}

/** The driver really in use: a containerd snapshotter's `overlayfs` is overlay2's successor. */
export function effectiveDriver(facts: StorageFacts): string {
  return facts.driver === 'overlayfs' ? 'overlay2' : facts.driver;
}

export function usesContainerdSnapshotter(facts: StorageFacts): boolean {
  return facts.driverStatus.some(
    ([key, value]) => key === 'driver-type' && value.startsWith('io.containerd.snapshotter'),
  );
}

/** The filesystem under the data root, when the facts say. */
export function backingFilesystem(facts: StorageFacts): string | undefined {
  const driver = effectiveDriver(facts);
  if (driver === 'btrfs' || driver === 'zfs') return driver;
  return statusValue(facts, 'Backing Filesystem');
}

function kernelState(
  rule: DriverRule,
  facts: StorageFacts,
  inUse: boolean,
): [DriverAssessment['kernel'], string] {
  const kernel = parseKernelVersion(facts.kernelVersion);
  if (rule.minKernel && kernel) {
    const backported =
      rule.rhelBuild !== undefined &&
      kernel.major === 3 &&
      kernel.minor === 10 &&
      (kernel.rhelBuild ?? 0) >= rule.rhelBuild;
    if (!atLeast(kernel, rule.minKernel) && !backported) {
      const rhel = rule.rhelBuild !== undefined ? ` (or RHEL's 3.10.0-${rule.rhelBuild})` : '';
      return [
        'too-old',
        `kernel ${facts.kernelVersion} is older than ${rule.minKernel.join('.')}${rhel}`,
      ];
    }
  }
  if (inUse) return ['supported', 'in use'];
  if (!rule.kernel) return ['not-needed', 'needs nothing from the kernel'];
  const table =
    rule.kernel.table === 'filesystems' ? facts.kernelFilesystems : facts.kernelBlockDevices;
  const where = rule.kernel.table === 'filesystems' ? '/proc/filesystems' : '/proc/devices';
  if (!table) return ['unknown', `${where} could not be read`];
  return table.includes(rule.kernel.name)
    ? ['supported', `the kernel has ${rule.kernel.name}`]
    : [
        'missing',
        `the kernel has no ${rule.kernel.name} (not in ${where}: neither built in nor loaded)`,
      ];
}

function engineState(rule: DriverRule, facts: StorageFacts): [DriverAssessment['engine'], string] {
  const engine = parseEngineVersion(facts.engineVersion);
  if (!engine)
    return ['unknown', `engine version ${JSON.stringify(facts.engineVersion)} unreadable`];
  if (rule.removed && atLeast(engine, rule.removed))
    return ['removed', `Docker ${formatVersion(rule.removed)} removed it`];
  if (rule.added && !atLeast(engine, rule.added))
    return ['too-old', `it came with Docker ${formatVersion(rule.added)}`];
  if (rule.deprecated && atLeast(engine, rule.deprecated))
    return ['deprecated', `deprecated since Docker ${formatVersion(rule.deprecated)}`];
  return ['supported', `Docker ${facts.engineVersion} supports it`];
}

function backingState(
  rule: DriverRule,
  facts: StorageFacts,
): [DriverAssessment['backing'], string] {
  const backing = backingFilesystem(facts);
  if (
    (rule.driver === 'overlay2' || rule.driver === 'overlay') &&
    statusValue(facts, 'Supports d_type') === 'false'
  ) {
    return [
      'unsupported',
      `the backing ${backing ?? ''} filesystem has no d_type (xfs made without ftype=1)`.replace(
        '  ',
        ' ',
      ),
    ];
  }
  if (rule.needsRootOn) {
    if (backing === undefined) return ['unknown', `needs the data root on ${rule.needsRootOn}`];
    return backing === rule.needsRootOn
      ? ['ok', `the data root is on ${backing}`]
      : ['unsupported', `needs the data root on ${rule.needsRootOn}, it is on ${backing}`];
  }
  if (backing !== undefined && rule.notOver?.includes(backing))
    return ['unsupported', `cannot run over ${backing}`];
  return ['ok', ''];
}

/** Every known driver, judged. */
export function judgeDrivers(facts: StorageFacts): DriverAssessment[] {
  const current = effectiveDriver(facts);
  return STORAGE_DRIVERS.map((driver) => {
    const rule = DRIVER_RULES[driver];
    const inUse = driver === current;
    const [kernel, kernelWhy] = kernelState(rule, facts, inUse);
    const [engine, engineWhy] = engineState(rule, facts);
    const [backing, backingWhy] = backingState(rule, facts);
    const blocked =
      kernel === 'missing' ||
      kernel === 'too-old' ||
      engine === 'removed' ||
      engine === 'too-old' ||
      backing === 'unsupported';
    const usable = blocked
      ? false
      : kernel === 'unknown' || backing === 'unknown' || engine === 'unknown'
        ? 'unknown'
        : true;
    const why = blocked
      ? [
          kernel === 'missing' || kernel === 'too-old' ? kernelWhy : '',
          engine === 'removed' || engine === 'too-old' ? engineWhy : '',
          backing === 'unsupported' ? backingWhy : '',
        ]
      : [inUse ? 'in use' : kernelWhy, engineWhy, backingWhy];
    return {
      driver,
      inUse,
      kernel,
      engine,
      backing,
      usable,
      reason: why.filter(Boolean).join('; '),
    };
  });
}
