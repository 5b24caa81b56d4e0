// Does my production image carry its build toolchain ("another vector for attack")? auditImage
// reads the image's files without running it, so it works on images without a shell.
// Run: npx tsx examples/audit-image.ts [image …]
//
// Images come from the arguments, else BERTH_EXAMPLE_AUDIT_IMAGES (comma-separated), else `nginx`.
// auditImage never pulls: an image the engine does not have is reported and skipped.
import { connectDocker } from '@berth/core';
import { auditImage } from '@berth/probes';

const images = process.argv.slice(2).length
  ? process.argv.slice(2)
  : (process.env.BERTH_EXAMPLE_AUDIT_IMAGES ?? 'nginx').split(',').filter(Boolean);

const docker = await connectDocker();
if (docker.isErr()) {
  console.error(docker.error.message);
  process.exit(1);
}
let exitCode = 0;
for (const image of images) {
  const audit = await auditImage(docker.value, image);
  if (audit.isErr()) {
    if (audit.error.kind === 'NotFound') {
      console.log(`${image}: not on this engine (docker pull it first)`);
    } else {
      console.error(`${image}: ${audit.error.message}`);
      exitCode = 1;
    }
    continue;
  }
  const { imageId, toolchains, packageManagers, findings } = audit.value;
  console.log(`\n${image} (${imageId.slice(7, 19)})`);
  if (toolchains.length === 0) console.log('  no build toolchain');
  for (const hit of [...toolchains, ...packageManagers]) {
    const applets = hit.busyboxApplet ? ' (busybox applets)' : '';
    console.log(`  ${hit.kind.padEnd(18)} ${hit.label}: ${hit.paths.join(', ')}${applets}`);
  }
  for (const f of findings) console.log(`  ${f.severity.padEnd(5)} ${f.id} (${f.tool})`);
}
process.exit(exitCode);
