// Which storage driver does this engine use, and is it a good one? The seed's table: aufs 2.5 min,
// btrfs 4.5 min, devicemapper on loop files 5.5 min for the same build-and-test job.
// Run: npx tsx examples/probe-storage.ts
//
// The kernel's filesystems are read by a short-lived container (so a remote engine works too):
// BERTH_EXAMPLE_HELPER_IMAGE picks its image (default `busybox`). The example never pulls unless
// BERTH_EXAMPLE_PULL=missing; without the image, drivers not in use are judged as unknown.
import { connectDocker, type PullPolicy } from '@berth/core';
import { probeStorage } from '@berth/probes';

const docker = await connectDocker();
if (docker.isErr()) {
  console.error(docker.error.message);
  process.exit(1);
}
const report = await probeStorage(docker.value, {
  helperImage: process.env.BERTH_EXAMPLE_HELPER_IMAGE ?? 'busybox',
  pull: (process.env.BERTH_EXAMPLE_PULL ?? 'never') as PullPolicy,
});
if (report.isErr()) {
  console.error(report.error.message);
  process.exit(1);
}
const { facts, drivers, findings, recommendation } = report.value;
console.log(
  `engine ${facts.engineVersion}, kernel ${facts.kernelVersion}, data root ${facts.rootDir}`,
);
console.log(
  `driver ${facts.driver}: ${facts.driverStatus.map(([k, v]) => `${k}=${v}`).join(', ')}\n`,
);
console.log('driver          in use  kernel      engine      usable   why');
for (const d of drivers) {
  console.log(
    `${d.driver.padEnd(15)} ${(d.inUse ? 'yes' : '').padEnd(7)} ${d.kernel.padEnd(11)} ${d.engine.padEnd(11)} ` +
      `${String(d.usable).padEnd(8)} ${d.reason}`,
  );
}
console.log(`\nrecommended: ${recommendation.driver} — ${recommendation.reason}`);
for (const f of findings) {
  console.log(
    `${f.severity.padEnd(8)} ${f.id}: ${f.message}${f.fix ? `\n         fix: ${f.fix}` : ''}`,
  );
}
