import type { Finding } from '../findings';
import { isKnownDriver, type StorageDriver } from './drivers';
import {
  effectiveDriver,
  judgeDrivers,
  usesContainerdSnapshotter,
  type DriverAssessment,
} from './judge-drivers';
import { statusValue, type StorageFacts } from './storage-facts';

/** Every finding id `assessStorage` can give; stable, documented in docs/probes.md. */
export const STORAGE_FINDING_IDS = [
  'storage.devicemapper-loop',
  'storage.no-dtype',
  'storage.overlay-kernel-too-old',
  'storage.removed-driver',
  'storage.driver-unavailable',
  'storage.deprecated-driver',
  'storage.vfs-in-use',
  'storage.aufs-unavailable',
  'storage.containerd-snapshotter',
  'storage.kernel-unknown',
  'storage.engine-warning',
] as const;

export type StorageFindingId = (typeof STORAGE_FINDING_IDS)[number];

export interface StorageFinding extends Finding {
  readonly id: StorageFindingId;
}

export interface StorageAssessment {
  /** Every known driver: supported by this kernel and this engine, in use, usable, and why. */
  readonly drivers: readonly DriverAssessment[];
  readonly findings: readonly StorageFinding[];
  /** The driver berth would pick here, and why. */
  readonly recommendation: { readonly driver: StorageDriver; readonly reason: string };
}

const PREFERENCE: readonly StorageDriver[] = [
  'overlay2',
  'btrfs',
  'zfs',
  'fuse-overlayfs',
  'aufs',
  'overlay',
  'devicemapper',
  'vfs',
];

const WHY: Readonly<Record<StorageDriver, string>> = {
  overlay2: "Docker's default: layers share files through the page cache, fast builds",
  btrfs: 'the data root is on btrfs: layers are subvolume snapshots that share extents',
  zfs: 'the data root is on zfs: layers are clones that share blocks',
  'fuse-overlayfs': 'overlay in user space, for rootless engines or kernels without overlay',
  aufs: 'the fastest of the old drivers, where the kernel still carries it',
  overlay: 'the first overlay driver; use overlay2 where it is available',
  devicemapper: 'only with direct-lvm on a real block device, never on loop files',
  vfs: 'no copy-on-write: every layer is a full copy, slow and large; the last resort',
};

function recommend(drivers: readonly DriverAssessment[]): StorageAssessment['recommendation'] {
  const byName = new Map(drivers.map((d) => [d.driver, d]));
  const pick =
    PREFERENCE.find((d) => byName.get(d)?.usable === true) ??
    PREFERENCE.find((d) => byName.get(d)?.usable === 'unknown') ??
    'vfs';
  const judged = byName.get(pick);
  return { driver: pick, reason: `${WHY[pick]}${judged?.reason ? ` (${judged.reason})` : ''}` };
}

/** An overlay driver without d_type is reported once, as `storage.no-dtype`. */
const noDtype = (facts: StorageFacts) => statusValue(facts, 'Supports d_type') === 'false';

function driverFindings(
  facts: StorageFacts,
  drivers: readonly DriverAssessment[],
): StorageFinding[] {
  const out: StorageFinding[] = [];
  const current = effectiveDriver(facts);
  const asked = [
    current,
    ...(facts.requestedDriver && facts.requestedDriver !== current ? [facts.requestedDriver] : []),
  ];
  for (const name of asked) {
    if (!isKnownDriver(name)) continue;
    const judged = drivers.find((d) => d.driver === name);
    if (!judged) continue;
    const how = judged.inUse ? 'in use' : 'requested';
    if (judged.kernel === 'too-old' && (name === 'overlay' || name === 'overlay2')) {
      out.push({
        id: 'storage.overlay-kernel-too-old',
        severity: 'critical',
        message: `${name} (${how}): ${judged.reason}`,
        fix: 'upgrade the kernel (overlay needs 3.18, overlay2 4.0 or RHEL 3.10.0-514), or choose another driver',
      });
    } else if (judged.engine === 'removed') {
      out.push({
        id: 'storage.removed-driver',
        severity: 'critical',
        message: `${name} (${how}) cannot run on Docker ${facts.engineVersion}: ${judged.reason}`,
        fix: `move to ${recommend(drivers).driver}: docker save what you need, change storage-driver in daemon.json, restart, docker load`,
      });
    } else if (judged.usable === false && !(judged.inUse && noDtype(facts))) {
      out.push({
        id: 'storage.driver-unavailable',
        severity: 'critical',
        message: `${name} (${how}) cannot run here: ${judged.reason}`,
        fix: `use ${recommend(drivers).driver}`,
      });
    } else if (judged.engine === 'deprecated') {
      out.push({
        id: 'storage.deprecated-driver',
        severity: 'warn',
        message: `${name} (${how}) is ${judged.reason.match(/deprecated since Docker [\d.]+/)?.[0] ?? 'deprecated'}; a later Docker removes it`,
        fix: `plan the move to ${recommend(drivers).driver} before upgrading Docker`,
      });
    }
  }
  return out;
}

function statusFindings(facts: StorageFacts): StorageFinding[] {
  const out: StorageFinding[] = [];
  const current = effectiveDriver(facts);
  const loopFile = statusValue(facts, 'Data loop file');
  if (
    current === 'devicemapper' &&
    (loopFile !== undefined || /^\/dev\/loop/.test(statusValue(facts, 'Data file') ?? ''))
  ) {
    out.push({
      id: 'storage.devicemapper-loop',
      severity: 'critical',
      message: `devicemapper runs on loop-mounted sparse files (${loopFile ?? 'loop device'}): slow (the seed: 5.5 min where aufs took 2.5) and it can corrupt the pool when the files cannot grow`,
      fix: 'use overlay2; or configure devicemapper direct-lvm on a dedicated block device (dm.directlvm_device)',
    });
  }
  if (
    (current === 'overlay2' || current === 'overlay') &&
    statusValue(facts, 'Supports d_type') === 'false'
  ) {
    out.push({
      id: 'storage.no-dtype',
      severity: 'critical',
      message:
        `${current} runs over a ${statusValue(facts, 'Backing Filesystem') ?? ''} filesystem without d_type: files can vanish or show up wrongly in containers`.replace(
          '  ',
          ' ',
        ),
      fix: 'recreate the filesystem under the data root with d_type (xfs: mkfs.xfs -n ftype=1), or move the data root',
    });
  }
  if (current === 'vfs') {
    out.push({
      id: 'storage.vfs-in-use',
      severity: 'warn',
      message:
        'vfs has no copy-on-write: every layer and every container is a full copy, builds are slow and disks fill fast',
      fix: 'use overlay2 (or btrfs/zfs when the data root is on them)',
    });
  }
  return out;
}

function contextFindings(
  facts: StorageFacts,
  drivers: readonly DriverAssessment[],
  already: readonly StorageFinding[],
): StorageFinding[] {
  const out: StorageFinding[] = [];
  const aufs = drivers.find((d) => d.driver === 'aufs');
  if (aufs && aufs.usable === false) {
    out.push({
      id: 'storage.aufs-unavailable',
      severity: 'info',
      message: `aufs, the fastest driver in the seed's table, is not available here: ${aufs.reason}`,
      fix: 'overlay2 is its successor and as fast',
    });
  }
  if (usesContainerdSnapshotter(facts)) {
    out.push({
      id: 'storage.containerd-snapshotter',
      severity: 'info',
      message: `images are kept by containerd's ${facts.driver} snapshotter (the containerd image store), judged as overlay2`,
    });
  }
  if (facts.kernelFilesystems === undefined) {
    out.push({
      id: 'storage.kernel-unknown',
      severity: 'info',
      message: `the kernel's filesystems could not be read${facts.kernelTablesError ? `: ${facts.kernelTablesError}` : ''}; drivers not in use are judged as unknown`,
      fix: 'give probeStorage a helperImage with cat (busybox) the engine can run',
    });
  }
  const covered = already.map((f) => f.id);
  for (const warning of facts.warnings) {
    if (!/storage|driver|loop|d_type|overlay|devicemapper|aufs|graphdriver/i.test(warning))
      continue;
    if (/loop/i.test(warning) && covered.includes('storage.devicemapper-loop')) continue;
    if (/d_type/i.test(warning) && covered.includes('storage.no-dtype')) continue;
    if (/deprecated/i.test(warning) && covered.includes('storage.deprecated-driver')) continue;
    out.push({
      id: 'storage.engine-warning',
      severity: 'warn',
      message: `the engine warns: ${warning.replace(/^WARNING:\s*/i, '')}`,
      fix: "see the engine's own advice in the message",
    });
  }
  return out;
}

/** Judges what `probeStorage` saw. Pure: the same facts always give the same assessment. */
export function assessStorage(facts: StorageFacts): StorageAssessment {
  const drivers = judgeDrivers(facts);
  const findings = [...statusFindings(facts), ...driverFindings(facts, drivers)];
  return {
    drivers,
    findings: [...findings, ...contextFindings(facts, drivers, findings)],
    recommendation: recommend(drivers),
  };
}
