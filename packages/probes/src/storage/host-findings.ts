import type { StorageFinding } from './assess-storage';
import { ENGINE_MIN_KERNEL } from './drivers';
import { effectiveDriver } from './judge-drivers';
import { isLoopLvm, kernelBelowEngineMinimum, thinPoolSpace, udevSyncOff } from './problems';
import { statusValue, type StorageFacts } from './storage-facts';

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

/** A devicemapper thin pool running out: the engine refuses new layers, then I/O errors follow. */
function thinPoolFindings(facts: StorageFacts): StorageFinding[] {
  const out: StorageFinding[] = [];
  for (const kind of ['data', 'metadata'] as const) {
    const space = thinPoolSpace(facts, kind);
    if (!space || space.level === 'ok') continue;
    const left = `${space.available} ${kind} space left (${percent(space.availableBytes, space.capacityBytes)} of what the pool can hold${space.minimumFree ? `; the engine wants ${space.minimumFree} free` : ''})`;
    const grow = isLoopLvm(facts)
      ? `free space on the disk under the loop files, or move to direct-lvm`
      : `lvextend the thin pool's ${kind === 'data' ? 'data' : 'metadata (tmeta)'} volume`;
    out.push(
      space.level === 'full'
        ? {
            id: kind === 'data' ? 'storage.thinpool-data-full' : 'storage.thinpool-metadata-full',
            severity: 'critical',
            message: `the devicemapper thin pool is out of ${kind} space: ${left}; pulls, builds and new containers fail now ("Thin Pool has … free data blocks which is less than minimum required"), and a pool that fills completely can corrupt filesystems`,
            fix: `remove unused images and containers (docker system prune on 1.13+), then ${grow}`,
          }
        : {
            id: kind === 'data' ? 'storage.thinpool-data-low' : 'storage.thinpool-metadata-low',
            severity: 'warn',
            message: `the devicemapper thin pool is low on ${kind} space: ${left}`,
            fix: `remove unused images and containers, or ${grow}; enable dm.min_free_space and LVM autoextend`,
          },
    );
  }
  return out;
}

/** Problems of the host around the driver: its kernel, the devicemapper plumbing, the zpool. */
export function hostFindings(facts: StorageFacts): StorageFinding[] {
  const out = thinPoolFindings(facts);
  if (kernelBelowEngineMinimum(facts)) {
    out.push({
      id: 'storage.kernel-too-old',
      severity: 'critical',
      message: `kernel ${facts.kernelVersion} is below Docker's minimum of ${ENGINE_MIN_KERNEL.join('.')}${/stab/.test(facts.kernelVersion) ? " (an OpenVZ container: it shares the host node's 2.6.32 kernel)" : ''}: namespaces, cgroups and every copy-on-write driver misbehave or are missing`,
      fix: 'run Docker on a kernel of at least 3.10, better 4.0+ for overlay2 (a full VM, not an OpenVZ container)',
    });
  }
  if (udevSyncOff(facts)) {
    out.push({
      id: 'storage.udev-sync-unsupported',
      severity: 'critical',
      message:
        'devicemapper runs without udev sync (Udev Sync Supported: false): udev and the engine race on device nodes, which loses devices and can lose data',
      fix: "use Docker's dynamically linked packages for this distribution (the statically linked binary cannot sync with udev)",
    });
  }
  if (
    effectiveDriver(facts) === 'devicemapper' &&
    !isLoopLvm(facts) &&
    statusValue(facts, 'Deferred Removal Enabled') === 'false'
  ) {
    out.push({
      id: 'storage.deferred-removal-off',
      severity: 'info',
      message:
        'devicemapper direct-lvm without deferred removal: removing containers fails with "device or resource busy" while another mount namespace still holds the device',
      fix: 'add dm.use_deferred_removal=true and dm.use_deferred_deletion=true to storage-opts',
    });
  }
  const health = statusValue(facts, 'Zpool Health');
  if (
    effectiveDriver(facts) === 'zfs' &&
    health &&
    /^(DEGRADED|FAULTED|UNAVAIL|SUSPENDED|REMOVED|OFFLINE)$/i.test(health)
  ) {
    out.push({
      id: 'storage.zfs-pool-unhealthy',
      severity: /^DEGRADED$/i.test(health) ? 'warn' : 'critical',
      message: `the zpool under the data root is ${health}: writes of layers and containers can fail with confusing errors`,
      fix: 'zpool status -x, then replace or bring back the failed device',
    });
  }
  return out;
}
