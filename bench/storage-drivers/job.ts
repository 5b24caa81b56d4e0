import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sh } from './system.ts';

export const BASE_IMAGE = 'berth-bench/busybox:1';
export const JOB_IMAGE = 'berth-bench/job:1';
/** Four layers of 50 MB: the ≈ 200 MB the job writes. */
export const LAYERS = 4;
export const LAYER_MB = 50;

const DOCKERFILE = `FROM ${BASE_IMAGE}
RUN mkdir /data && dd if=/dev/urandom of=/data/layer1.bin bs=1M count=${LAYER_MB} 2>/dev/null
${Array.from({ length: LAYERS - 1 }, (_, i) => `RUN dd if=/dev/urandom of=/data/layer${i + 2}.bin bs=1M count=${LAYER_MB} 2>/dev/null`).join('\n')}
RUN cd /data && sha256sum *.bin > SHA256SUMS
CMD ["sh", "-c", "cd /data && sha256sum -c SHA256SUMS"]
`;

/** A busybox root filesystem (the host's busybox, every applet a symlink) and the job's build context. */
export async function prepareFiles(workDir: string): Promise<{ rootfs: string; context: string }> {
  const rootfs = join(workDir, 'rootfs');
  const context = join(workDir, 'context');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  for (const dir of ['tmp', 'etc', 'proc', 'sys', 'dev'])
    await mkdir(join(rootfs, dir), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of (await sh('/bin/busybox', ['--list'])).split('\n')) {
    if (applet && applet !== 'busybox')
      await symlink('busybox', join(rootfs, 'bin', applet)).catch(() => undefined);
  }
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await mkdir(context, { recursive: true });
  await writeFile(join(context, 'Dockerfile'), DOCKERFILE);
  return { rootfs, context };
}

function cli(host: string) {
  // The legacy builder: BuildKit needs its own images, and nothing may be pulled here.
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' };
  return (args: readonly string[]) => sh('docker', args, env);
}

/** `docker import` of the busybox rootfs into the bench daemon: the FROM of the job. */
export async function importBase(host: string, rootfs: string): Promise<void> {
  await sh('bash', [
    '-o',
    'pipefail',
    '-c',
    `tar -C "$0" -c --numeric-owner --owner=0 --group=0 . | docker -H "$1" import - ${BASE_IMAGE}`,
    rootfs,
    host,
  ]);
}

/** One build-and-test job, timed: a multi-layer build from scratch, then the test run in the image. */
export async function runJob(host: string, context: string): Promise<number> {
  const docker = cli(host);
  const started = performance.now();
  await docker(['build', '--no-cache', '--network', 'host', '-q', '-t', JOB_IMAGE, context]);
  const out = await docker(['run', '--rm', '--network', 'host', JOB_IMAGE]);
  const elapsed = performance.now() - started;
  const ok = out.split('\n').filter((line) => / OK$/.test(line)).length;
  if (ok !== LAYERS) throw new Error(`the test run checked ${ok} of ${LAYERS} layers: ${out}`);
  return elapsed;
}

/** Removes the job's image and its intermediate layers, for the next cold run. */
export async function removeJobImage(host: string): Promise<void> {
  const docker = cli(host);
  await docker(['rmi', '-f', JOB_IMAGE]);
  const dangling = (await docker(['images', '-q', '--filter', 'dangling=true']))
    .split('\n')
    .filter(Boolean);
  if (dangling.length) await docker(['rmi', '-f', ...dangling]);
}

/**
 * Disk used under a data root: `logical` counts every file of every layer directory or
 * snapshot as `du --apparent-size` sees it; `onDisk` what is really allocated (`du` blocks,
 * or for btrfs the extents, exclusive plus shared, as `btrfs filesystem du` reports them).
 */
export async function diskUse(
  dataRoot: string,
  btrfs: boolean,
): Promise<{ logicalBytes: number; onDiskBytes: number }> {
  await sh('sync', []);
  const logicalBytes = Number(
    (await sh('du', ['-s', '-b', '--apparent-size', dataRoot])).split(/\s+/)[0],
  );
  if (btrfs) {
    const lines = (await sh('btrfs', ['filesystem', 'du', '-s', '--raw', dataRoot])).split('\n');
    const [, exclusive, shared] = (lines[1] ?? '').trim().split(/\s+/).map(Number);
    return { logicalBytes, onDiskBytes: (exclusive ?? 0) + (shared ?? 0) };
  }
  const onDiskBytes = Number((await sh('du', ['-s', '-B1', dataRoot])).split(/\s+/)[0]);
  return { logicalBytes, onDiskBytes };
}
