import { DRIVER_RULES, STORAGE_DRIVERS, type DriverRule, type StorageDriver } from './drivers';
import { statusValue, type StorageFacts } from './storage-facts';
import {
  atLeast,
  formatVersion,
  parseEngineVersion,
  parseKernelVersion,
  type KernelVersion,
} from './versions';

/** One driver judged against one engine and kernel. */
export interface DriverAssessment {
  readonly driver: StorageDriver;
  readonly inUse: boolean;
  /**
   * `not-needed`: the driver needs nothing from the kernel (vfs). `likely`: the kernel tables were
   * not read, but the kernel's version (or the driver in use) says it is there.
   */
  readonly kernel: 'supported' | 'likely' | 'missing' | 'too-old' | 'unknown' | 'not-needed';
  readonly engine: 'supported' | 'deprecated' | 'removed' | 'too-old' | 'unknown';
  /** Whether the data root's filesystem suits it. */
  readonly backing: 'ok' | 'unsupported' | 'unknown';
  readonly usable: boolean | 'unknown';
  /**
   * How far the facts go: `proven` it runs here, `likely` (versions allow it, a table was not
   * read), `unknown` (cannot be shown possible: never recommended), `ruled-out`.
   */
  readonly possible: 'proven' | 'likely' | 'unknown' | 'ruled-out';
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
  const value = statusValue(facts, 'Backing Filesystem');
  return value && value !== '<unknown>' ? value : undefined;
}

/** Ubuntu's and Debian's kernels let rootless engines mount overlay before 5.11. */
const patchesRootlessOverlay = (facts: StorageFacts) =>
  /ubuntu|debian/i.test(facts.operatingSystem ?? '') &&
  !/containerized/i.test(facts.operatingSystem ?? '');

/** The kernel module a running driver proves: overlay for the overlay drivers. */
function provenByDriverInUse(rule: DriverRule, facts: StorageFacts): boolean {
  const current = effectiveDriver(facts);
  if (rule.kernel?.name === 'overlay') return current === 'overlay' || current === 'overlay2';
  if (rule.needsRootOn) return backingFilesystem(facts) === rule.needsRootOn;
  return false;
}

/** Without the tables, what the kernel's version and the rest of the facts make likely. */
function likelyWithoutTables(
  rule: DriverRule,
  facts: StorageFacts,
  kernel: KernelVersion | undefined,
): [DriverAssessment['kernel'], string] | undefined {
  if (!kernel) return undefined;
  const release = facts.kernelVersion;
  switch (rule.driver) {
    case 'overlay2':
    case 'overlay':
      return ['likely', `kernel ${release} is new enough for it (mainline since 3.18)`];
    case 'fuse-overlayfs':
      return facts.rootless
        ? ['likely', `kernel ${release} has FUSE; it needs the fuse-overlayfs program`]
        : undefined;
    case 'aufs':
      return /ubuntu/i.test(facts.operatingSystem ?? '') &&
        kernel.major < 5 &&
        /-generic/.test(release)
        ? ['likely', `Ubuntu ships aufs for ${release} in linux-image-extra-${release}`]
        : undefined;
    case 'devicemapper':
      return atLeast(kernel, [3, 10]) && !facts.rootless
        ? ['likely', `kernel ${release} carries device-mapper thin provisioning`]
        : undefined;
    default:
      return undefined;
  }
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
  if (
    facts.rootless &&
    rule.rootlessMinKernel &&
    kernel &&
    !inUse &&
    !atLeast(kernel, rule.rootlessMinKernel) &&
    !patchesRootlessOverlay(facts)
  ) {
    return [
      'too-old',
      `a rootless engine needs kernel ${rule.rootlessMinKernel.join('.')} for it (Ubuntu and Debian patch older ones); this is ${facts.kernelVersion}`,
    ];
  }
  if (inUse) return ['supported', 'in use'];
  if (!rule.kernel) return ['not-needed', 'needs nothing from the kernel'];
  const table =
    rule.kernel.table === 'filesystems' ? facts.kernelFilesystems : facts.kernelBlockDevices;
  const where = rule.kernel.table === 'filesystems' ? '/proc/filesystems' : '/proc/devices';
  if (!table) {
    if (provenByDriverInUse(rule, facts))
      return ['supported', `the kernel has ${rule.kernel.name}: ${facts.driver} runs on it`];
    return likelyWithoutTables(rule, facts, kernel) ?? ['unknown', `${where} was not read`];
  }
  return table.includes(rule.kernel.name)
    ? ['supported', `the kernel has ${rule.kernel.name}`]
    : [
        'missing',
        `the kernel has no ${rule.kernel.name} (not in ${where}: neither built in nor loaded)`,
      ];
}

function engineState(
  rule: DriverRule,
  facts: StorageFacts,
  inUse: boolean,
): [DriverAssessment['engine'], string] {
  const engine = parseEngineVersion(facts.engineVersion);
  if (!engine) {
    if (inUse) return ['supported', 'the engine runs it'];
    const before = facts.engineBefore ? parseEngineVersion(facts.engineBefore) : undefined;
    if (
      before &&
      rule.added &&
      atLeast({ major: rule.added[0], minor: rule.added[1] }, [before.major, before.minor])
    )
      return [
        'too-old',
        `it came with Docker ${formatVersion(rule.added)}; this engine is older than ${facts.engineBefore}`,
      ];
    if (!rule.added && (!rule.removed || before))
      return ['supported', 'every Docker that ran on such a host has it'];
    return ['unknown', 'the engine version is unknown'];
  }
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

function possibility(
  blocked: boolean,
  kernel: DriverAssessment['kernel'],
  engine: DriverAssessment['engine'],
  backing: DriverAssessment['backing'],
): DriverAssessment['possible'] {
  if (blocked) return 'ruled-out';
  if (kernel === 'unknown' || engine === 'unknown' || backing === 'unknown') return 'unknown';
  return kernel === 'likely' ? 'likely' : 'proven';
}

/** Every known driver, judged. */
export function judgeDrivers(facts: StorageFacts): DriverAssessment[] {
  const current = effectiveDriver(facts);
  return STORAGE_DRIVERS.map((driver) => {
    const rule = DRIVER_RULES[driver];
    const inUse = driver === current;
    const [kernel, kernelWhy] = kernelState(rule, facts, inUse);
    const [engine, engineWhy] = engineState(rule, facts, inUse);
    const [backing, backingWhy] = backingState(rule, facts);
    const windows = facts.osType === 'windows';
    const blocked =
      windows ||
      kernel === 'missing' ||
      kernel === 'too-old' ||
      engine === 'removed' ||
      engine === 'too-old' ||
      backing === 'unsupported';
    const usable = blocked
      ? false
      : kernel === 'unknown' || kernel === 'likely' || backing === 'unknown' || engine === 'unknown'
        ? 'unknown'
        : true;
    const why = windows
      ? ['a Windows engine: the Linux storage drivers do not apply']
      : blocked
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
      possible: possibility(blocked, kernel, engine, backing),
      reason: why.filter(Boolean).join('; '),
    };
  });
}
