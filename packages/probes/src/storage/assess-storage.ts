import type { Finding } from '../findings';
import { isKnownDriver } from './drivers';
import { hostFindings } from './host-findings';
import {
  effectiveDriver,
  judgeDrivers,
  usesContainerdSnapshotter,
  type DriverAssessment,
} from './judge-drivers';
import { hasNoDtype, isLoopLvm } from './problems';
import { recommend, type StorageRecommendation } from './recommend';
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
  'storage.thinpool-data-full',
  'storage.thinpool-data-low',
  'storage.thinpool-metadata-full',
  'storage.thinpool-metadata-low',
  'storage.kernel-too-old',
  'storage.udev-sync-unsupported',
  'storage.deferred-removal-off',
  'storage.zfs-pool-unhealthy',
] as const;

export type StorageFindingId = (typeof STORAGE_FINDING_IDS)[number];

export interface StorageFinding extends Finding {
  readonly id: StorageFindingId;
}

export interface StorageAssessment {
  /** Every known driver: supported by this kernel and this engine, in use, usable, and why. */
  readonly drivers: readonly DriverAssessment[];
  readonly findings: readonly StorageFinding[];
  /** What berth would do here (keep, fix, switch, upgrade), how sure, because of which facts. */
  readonly recommendation: StorageRecommendation;
}

/** The advice as one line for a finding's fix. */
function advice(recommendation: StorageRecommendation): string {
  const first = recommendation.steps[0];
  return recommendation.action === 'keep'
    ? `keep ${recommendation.driver}`
    : `${recommendation.action === 'upgrade' ? '' : `${recommendation.action === 'fix' ? 'keep and fix' : 'move to'} ${recommendation.driver}: `}${first ?? recommendation.reason}`;
}

function driverFindings(
  facts: StorageFacts,
  drivers: readonly DriverAssessment[],
  recommendation: StorageRecommendation,
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
    const other =
      recommendation.driver !== name ? advice(recommendation) : 'see the recommendation';
    if (judged.kernel === 'too-old' && (name === 'overlay' || name === 'overlay2')) {
      out.push({
        id: 'storage.overlay-kernel-too-old',
        severity: 'critical',
        message: `${name} (${how}): ${judged.reason}`,
        fix: `upgrade the kernel (overlay needs 3.18, overlay2 4.0 or RHEL 3.10.0-514), or ${other}`,
      });
    } else if (judged.engine === 'removed') {
      out.push({
        id: 'storage.removed-driver',
        severity: 'critical',
        message: `${name} (${how}) cannot run on Docker ${facts.engineVersion}: ${judged.reason}`,
        fix: other,
      });
    } else if (judged.usable === false && !(judged.inUse && hasNoDtype(facts))) {
      out.push({
        id: 'storage.driver-unavailable',
        severity: 'critical',
        message: `${name} (${how}) cannot run here: ${judged.reason}`,
        fix: other,
      });
    } else if (judged.engine === 'deprecated') {
      out.push({
        id: 'storage.deprecated-driver',
        severity: 'warn',
        message: `${name} (${how}) is ${judged.reason.match(/deprecated since Docker [\d.]+/)?.[0] ?? 'deprecated'}; a later Docker removes it`,
        fix: `before upgrading Docker: ${other}`,
      });
    }
  }
  return out;
}

function statusFindings(
  facts: StorageFacts,
  recommendation: StorageRecommendation,
): StorageFinding[] {
  const out: StorageFinding[] = [];
  if (isLoopLvm(facts)) {
    const loopFile = statusValue(facts, 'Data loop file');
    out.push({
      id: 'storage.devicemapper-loop',
      severity: 'critical',
      message: `devicemapper runs on loop-mounted sparse files (${loopFile ?? 'loop device'}): slow (the seed: 5.5 min where aufs took 2.5) and it can corrupt the pool when the files cannot grow`,
      fix: advice(recommendation),
    });
  }
  if (hasNoDtype(facts)) {
    out.push({
      id: 'storage.no-dtype',
      severity: 'critical',
      message:
        `${facts.driver} runs over a ${statusValue(facts, 'Backing Filesystem') ?? ''} filesystem without d_type: files can vanish or show up wrongly in containers`.replace(
          '  ',
          ' ',
        ),
      fix: `recreate the filesystem under the data root with d_type (xfs: mkfs.xfs -n ftype=1) and keep ${recommendation.driver}; or move the data root`,
    });
  }
  if (effectiveDriver(facts) === 'vfs') {
    out.push({
      id: 'storage.vfs-in-use',
      severity: 'warn',
      message:
        'vfs has no copy-on-write: every layer and every container is a full copy, builds are slow and disks fill fast',
      fix: advice(recommendation),
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
  const linux = facts.osType !== 'windows';
  if (linux && aufs && aufs.usable === false) {
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
  if (linux && facts.kernelFilesystems === undefined) out.push(kernelUnknown(facts));
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

/** What a missing kernel table means depends on who gathered the facts. */
function kernelUnknown(facts: StorageFacts): StorageFinding {
  const base = 'drivers not in use are judged from the kernel and Docker versions only';
  if (facts.source === 'probeStorage' || facts.kernelTablesError !== undefined)
    return {
      id: 'storage.kernel-unknown',
      severity: 'info',
      message: `the kernel's filesystems could not be read${facts.kernelTablesError ? `: ${facts.kernelTablesError}` : ''}; ${base}`,
      fix: 'give probeStorage a helperImage with cat (busybox) the engine can run',
    };
  if (facts.source === 'docker info')
    return {
      id: 'storage.kernel-unknown',
      severity: 'info',
      message: `docker info does not list the kernel's filesystems; ${base}`,
      fix: 'for certainty, run berth probe storage against the engine (it reads /proc/filesystems)',
    };
  return {
    id: 'storage.kernel-unknown',
    severity: 'info',
    message: `the facts carry no kernelFilesystems; ${base}`,
    fix: "add kernelFilesystems and kernelBlockDevices (the names in the host's /proc/filesystems and /proc/devices) to the facts",
  };
}

/** Judges storage facts (from probeStorage, a docker info paste, or by hand). Pure. */
export function assessStorage(facts: StorageFacts): StorageAssessment {
  const drivers = judgeDrivers(facts);
  const recommendation = recommend(facts, drivers);
  const findings = [
    ...statusFindings(facts, recommendation),
    ...hostFindings(facts),
    ...driverFindings(facts, drivers, recommendation),
  ];
  return {
    drivers,
    findings: [...findings, ...contextFindings(facts, drivers, findings)],
    recommendation,
  };
}
