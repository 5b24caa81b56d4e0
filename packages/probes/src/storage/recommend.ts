import { isKnownDriver, type StorageDriver } from './drivers';
import { effectiveDriver, type DriverAssessment } from './judge-drivers';
import {
  hasNoDtype,
  isContainerized,
  isLoopLvm,
  kernelBelowEngineMinimum,
  thinPoolSpace,
  udevSyncOff,
} from './problems';
import { statusValue, type StorageFacts } from './storage-facts';

/**
 * What berth would do with this host's storage. `keep`: the driver in use has no problem;
 * `fix`: keep it and repair what is wrong (`steps`); `switch`: move to `driver`; `upgrade`: no
 * better driver can run until the kernel or the engine is upgraded (`driver` is what runs now).
 */
export interface StorageRecommendation {
  /** A driver from berth's table; a driver berth has no rules for (windowsfilter) is only ever kept. */
  readonly driver: StorageDriver | (string & {});
  readonly action: 'keep' | 'fix' | 'switch' | 'upgrade';
  /** `high`: the facts prove it; `medium`: versions make it likely, a table or version was missing. */
  readonly confidence: 'high' | 'medium';
  /** One line: the advice and its main reason. */
  readonly reason: string;
  /** The facts the advice rests on, in words. */
  readonly because: readonly string[];
  /** What to do, in order. Empty for `keep`. */
  readonly steps: readonly string[];
}

/** Most wanted first. devicemapper, vfs and deprecated drivers are never moved *to*; they are kept or left. */
const PREFERENCE: readonly StorageDriver[] = [
  'overlay2',
  'btrfs',
  'zfs',
  'fuse-overlayfs',
  'aufs',
  'overlay',
];

const WHY: Readonly<Record<StorageDriver, string>> = {
  overlay2: "Docker's default: layers share files through the page cache, fast builds",
  btrfs: 'the data root is on btrfs: layers are subvolume snapshots that share extents',
  zfs: 'the data root is on zfs: layers are clones that share blocks',
  'fuse-overlayfs':
    'overlay in user space, for rootless engines where kernel overlay is not allowed',
  aufs: 'the fastest of the old drivers, where the kernel carries it',
  overlay: 'the first overlay driver; overlay2 replaces it where the kernel and Docker allow',
  devicemapper: 'only with direct-lvm on a real block device, never on loop files',
  vfs: 'no copy-on-write: every layer is a full copy, slow and large; the last resort',
};

const MIGRATE =
  'docker save the images you need; set "storage-driver" in /etc/docker/daemon.json; restart Docker; docker load them (containers and volumes of the old driver are not carried over)';

function factLines(facts: StorageFacts, judged: DriverAssessment | undefined): string[] {
  const lines = [
    facts.driver === ''
      ? 'the facts name no storage driver'
      : `${facts.driver} is in use${judged?.inUse ? '' : ' (a driver berth does not know)'}`,
    facts.kernelVersion
      ? `kernel ${facts.kernelVersion}`
      : 'the kernel version is not in the facts',
    facts.engineVersion
      ? `Docker ${facts.engineVersion}`
      : `the Docker version is not in the facts${facts.engineBefore ? ` (older than ${facts.engineBefore})` : ''}`,
  ];
  if (facts.kernelFilesystems === undefined)
    lines.push('the kernel tables were not read: drivers not in use are judged from versions');
  if (facts.rootless) lines.push('the engine runs rootless');
  if (isContainerized(facts)) lines.push('the engine runs inside a container');
  return [...lines, ...(facts.inferred ?? [])];
}

function switchSteps(facts: StorageFacts, target: DriverAssessment): string[] {
  const steps: string[] = [];
  const release = facts.kernelVersion;
  if (target.driver === 'aufs' && target.kernel === 'likely')
    steps.push(`apt-get install linux-image-extra-${release} aufs-tools (Ubuntu keeps aufs there)`);
  if (target.driver === 'fuse-overlayfs') steps.push('install the fuse-overlayfs program');
  const overlayOnXfs =
    (target.driver === 'overlay2' || target.driver === 'overlay') &&
    statusValue(facts, 'Backing Filesystem') === 'xfs' &&
    statusValue(facts, 'Supports d_type') === undefined;
  if (overlayOnXfs)
    steps.push(
      `check that the xfs under ${facts.rootDir || '/var/lib/docker'} has d_type (xfs_info shows ftype=1); if not, recreate it with mkfs.xfs -n ftype=1`,
    );
  if (target.driver === 'overlay2' && isContainerized(facts))
    steps.push(
      `mount a volume at ${facts.rootDir || '/var/lib/docker'}: overlay2 cannot stack on the container's own overlay root`,
    );
  steps.push(MIGRATE.replace('"storage-driver"', `"storage-driver": "${target.driver}"`));
  return steps;
}

function upgradeSteps(facts: StorageFacts, drivers: readonly DriverAssessment[]): string[] {
  const overlay2 = drivers.find((d) => d.driver === 'overlay2');
  const steps: string[] = [];
  if (kernelBelowEngineMinimum(facts))
    steps.push(
      `run Docker on a kernel of at least 3.10, better 4.0+ for overlay2 (this is ${facts.kernelVersion}${/stab/.test(facts.kernelVersion) ? ": an OpenVZ container shares the host node's kernel, use a full VM" : ''})`,
    );
  else if (overlay2?.kernel === 'too-old')
    steps.push(`upgrade the kernel to 4.0 or later for overlay2 (${overlay2.reason})`);
  if (overlay2?.engine === 'too-old' || overlay2?.engine === 'unknown')
    steps.push('upgrade Docker to a supported release (overlay2 came with 1.12)');
  if (facts.rootless)
    steps.push('rootless: Docker 20.10+ with fuse-overlayfs, or kernel 5.11+ for overlay2');
  return steps;
}

function fixSteps(facts: StorageFacts): string[] {
  const steps: string[] = [];
  const root = facts.rootDir || '/var/lib/docker';
  if (hasNoDtype(facts))
    steps.push(
      `recreate the filesystem under ${root} with d_type (xfs: mkfs.xfs -n ftype=1; ext4 always has it), after docker save of what you need; xfs_info shows ftype=0 today`,
    );
  if (isLoopLvm(facts))
    steps.push(
      'give devicemapper a thin pool on a real block device (direct-lvm: dm.directlvm_device, or dm.thinpooldev on an LVM thin pool) instead of the loop files',
    );
  for (const kind of ['data', 'metadata'] as const) {
    const space = thinPoolSpace(facts, kind);
    if (space && space.level !== 'ok')
      steps.push(
        `free or add ${kind} space to the thin pool (${space.available} left): remove unused images and containers (docker system prune on 1.13+), then ${isLoopLvm(facts) ? 'free the disk under the loop files' : `lvextend the pool's ${kind === 'data' ? 'data' : 'metadata'} volume`}`,
      );
  }
  if (udevSyncOff(facts))
    steps.push(
      "use Docker's dynamically linked packages for this distribution: the static binary cannot sync with udev, which loses or corrupts devices",
    );
  return steps;
}

function best(drivers: readonly DriverAssessment[], current: string): DriverAssessment | undefined {
  const byName = new Map(drivers.map((d) => [d.driver, d]));
  return PREFERENCE.map((name) => byName.get(name)).find(
    (d): d is DriverAssessment =>
      d !== undefined &&
      d.driver !== current &&
      d.engine !== 'deprecated' &&
      (d.possible === 'proven' || d.possible === 'likely'),
  );
}

function build(
  action: StorageRecommendation['action'],
  driver: StorageRecommendation['driver'],
  confidence: StorageRecommendation['confidence'],
  reason: string,
  because: string[],
  steps: string[],
): StorageRecommendation {
  return { driver, action, confidence, reason, because, steps };
}

/** The advice an expert would give from these facts, never a driver they rule out or cannot show. */
export function recommend(
  facts: StorageFacts,
  drivers: readonly DriverAssessment[],
): StorageRecommendation {
  const current = effectiveDriver(facts);
  const judged = drivers.find((d) => d.driver === current);
  const because = factLines(facts, judged);
  const target = best(drivers, current);
  const confidenceOf = (d: DriverAssessment) => (d.possible === 'proven' ? 'high' : 'medium');
  const move = (why: string) =>
    target
      ? build(
          'switch',
          target.driver,
          confidenceOf(target),
          `${target.driver}: ${why}; ${WHY[target.driver]} (${target.reason})`,
          because,
          // A full thin pool fails pulls and saves now: free it before anything else.
          [
            ...fixSteps(facts).filter((step) => step.startsWith('free or add')),
            ...switchSteps(facts, target),
          ],
        )
      : undefined;
  const stay = isKnownDriver(current) ? current : 'vfs';
  const upgrade = (why: string) =>
    build(
      'upgrade',
      stay,
      'medium',
      `${stay} for now: ${why}; no better driver can be shown to run on this kernel and Docker`,
      because,
      upgradeSteps(facts, drivers),
    );

  if (!judged && facts.driver !== '' && (facts.osType === 'windows' || !target))
    return build(
      'keep',
      facts.driver,
      'medium',
      `keep ${facts.driver}: berth has no rules for it, and no driver it knows can be shown to run here`,
      because,
      [],
    );
  if (!judged)
    return move('the driver in use is unknown') ?? upgrade('the driver in use is unknown');
  if (judged.engine === 'removed') {
    const why = `${current} cannot run on this Docker (${judged.reason})`;
    return move(why) ?? upgrade(why);
  }
  if (hasNoDtype(facts)) {
    const overlay2 = drivers.find((d) => d.driver === 'overlay2');
    const reachable =
      current === 'overlay' &&
      overlay2 !== undefined &&
      ['supported', 'likely'].includes(overlay2.kernel) &&
      overlay2.engine === 'supported';
    const driver = reachable ? 'overlay2' : judged.driver;
    return build(
      reachable ? 'switch' : 'fix',
      driver,
      'high',
      `${driver} after recreating the filesystem with d_type: the overlay drivers are right for this kernel and Docker, only the filesystem under them is wrong`,
      because,
      [...fixSteps(facts), ...(reachable ? switchSteps(facts, overlay2) : [])],
    );
  }
  if (judged.usable === false) {
    const why = `${current} cannot run here (${judged.reason})`;
    return move(why) ?? upgrade(why);
  }
  if (current === 'vfs')
    return move('vfs copies every layer in full') ?? upgrade('vfs copies every layer in full');
  if (current === 'overlay' && target?.driver === 'overlay2')
    return move('overlay already runs, and this kernel and Docker support its successor')!;
  if (isLoopLvm(facts) && target)
    return move(
      'devicemapper on loop files is slow and fragile, and a better driver can run here',
    )!;
  if (judged.engine === 'deprecated' && target)
    return move(`${current} is ${judged.reason}; move before upgrading Docker`)!;
  if (kernelBelowEngineMinimum(facts))
    return build(
      'upgrade',
      judged.driver,
      'high',
      `${judged.driver} for now: kernel ${facts.kernelVersion} is below what Docker needs, whatever the driver`,
      because,
      upgradeSteps(facts, drivers),
    );
  const fixes = fixSteps(facts);
  if (fixes.length > 0)
    return build(
      'fix',
      judged.driver,
      'high',
      `keep ${judged.driver} and repair it: ${problemNames(facts).join('; ')}`,
      because,
      fixes,
    );
  const known = facts.engineVersion !== '' && facts.kernelVersion !== '';
  const name =
    facts.driver === judged.driver
      ? judged.driver
      : `${facts.driver} (containerd's snapshotter, judged as ${judged.driver})`;
  return build(
    'keep',
    judged.driver,
    known ? 'high' : 'medium',
    `keep ${name}: it runs and the facts show no problem with it`,
    because,
    [],
  );
}

function problemNames(facts: StorageFacts): string[] {
  const names: string[] = [];
  if (isLoopLvm(facts)) names.push('loop files instead of a block device');
  for (const kind of ['data', 'metadata'] as const) {
    const space = thinPoolSpace(facts, kind);
    if (space && space.level !== 'ok') names.push(`thin pool ${kind} space ${space.level}`);
  }
  if (udevSyncOff(facts)) names.push('no udev sync');
  return names;
}
