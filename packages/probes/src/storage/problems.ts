import { ENGINE_MIN_KERNEL } from './drivers';
import { effectiveDriver } from './judge-drivers';
import { statusValue, type StorageFacts } from './storage-facts';
import { atLeast, parseEngineVersion, parseKernelVersion } from './versions';

/** What the facts prove is wrong with the driver in use; findings and the recommendation share it. */

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `107.4 GB`, `65.54kB`, `0B`, `2.147 GiB` → bytes; Docker prints decimal units. */
export function parseSize(text: string | undefined): number | undefined {
  const match = /^([\d.]+)\s*([kmgtp]?i?b)$/i.exec(text?.trim() ?? '');
  const unit = match?.[2] ? UNITS[match[2].toLowerCase()] : undefined;
  return match?.[1] && unit !== undefined ? Number(match[1]) * unit : undefined;
}

export interface ThinPoolSpace {
  readonly kind: 'data' | 'metadata';
  readonly level: 'full' | 'low' | 'ok';
  readonly available: string;
  /** What the pool can really hold: its total, or less when the loop file's disk is smaller. */
  readonly capacityBytes: number;
  readonly availableBytes: number;
  readonly minimumFree?: string;
}

/**
 * A devicemapper thin pool's data or metadata space. Full: nothing left, or less than
 * `Thin Pool Minimum Free Space` (the engine then refuses new layers and containers: pulls and
 * builds fail now), or under 2 %. Low: under 10 %.
 */
export function thinPoolSpace(
  facts: StorageFacts,
  kind: 'data' | 'metadata',
): ThinPoolSpace | undefined {
  if (effectiveDriver(facts) !== 'devicemapper') return undefined;
  const label = kind === 'data' ? 'Data' : 'Metadata';
  const availableText = statusValue(facts, `${label} Space Available`);
  const available = parseSize(availableText);
  const used = parseSize(statusValue(facts, `${label} Space Used`));
  const total = parseSize(statusValue(facts, `${label} Space Total`));
  if (available === undefined || availableText === undefined) return undefined;
  const capacity = Math.min(total ?? Infinity, (used ?? 0) + available);
  if (!Number.isFinite(capacity) || capacity <= 0) return undefined;
  const minimumText =
    kind === 'data' ? statusValue(facts, 'Thin Pool Minimum Free Space') : undefined;
  const minimum = parseSize(minimumText);
  const share = available / capacity;
  const level =
    available === 0 || (minimum !== undefined && available < minimum) || share < 0.02
      ? 'full'
      : share < 0.1
        ? 'low'
        : 'ok';
  return {
    kind,
    level,
    available: availableText,
    capacityBytes: capacity,
    availableBytes: available,
    ...(minimumText !== undefined && { minimumFree: minimumText }),
  };
}

export function isLoopLvm(facts: StorageFacts): boolean {
  return (
    effectiveDriver(facts) === 'devicemapper' &&
    (statusValue(facts, 'Data loop file') !== undefined ||
      /^\/dev\/loop/.test(statusValue(facts, 'Data file') ?? ''))
  );
}

export function hasNoDtype(facts: StorageFacts): boolean {
  const driver = effectiveDriver(facts);
  return (
    (driver === 'overlay2' || driver === 'overlay') &&
    statusValue(facts, 'Supports d_type') === 'false'
  );
}

export function udevSyncOff(facts: StorageFacts): boolean {
  return (
    effectiveDriver(facts) === 'devicemapper' &&
    statusValue(facts, 'Udev Sync Supported') === 'false'
  );
}

/** The kernel is below what the engine needs: Docker 1.8+ needs 3.10; 1.7 and older ran on RHEL 6's 2.6.32. */
export function kernelBelowEngineMinimum(facts: StorageFacts): boolean {
  const kernel = parseKernelVersion(facts.kernelVersion);
  if (!kernel || atLeast(kernel, ENGINE_MIN_KERNEL)) return false;
  const engine = parseEngineVersion(facts.engineVersion);
  const rhel6 = /\.el6/.test(facts.kernelVersion);
  return !(rhel6 && (!engine || !atLeast(engine, [1, 8])));
}

export function isContainerized(facts: StorageFacts): boolean {
  return /containerized/i.test(facts.operatingSystem ?? '');
}
