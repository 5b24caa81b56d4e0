import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connectDocker, type DockerConnection } from '@berth/core';
import { isRunning, mountsUnder, processesMentioning, sh, waitFor } from './system.ts';

/** A second dockerd for one storage driver, with its own data root, exec root, socket and pid file. */
export interface BenchDaemon {
  readonly driver: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly docker: DockerConnection;
  /** The data root's own filesystem (btrfs on a loop device), when there is one. */
  readonly loopDevice?: string;
}

export interface DaemonPlace {
  readonly dir: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly pidFile: string;
  readonly log: string;
  readonly image: string;
}

export function placeFor(workDir: string, driver: string, index: number): DaemonPlace {
  const dir = join(workDir, driver);
  return {
    dir,
    dataRoot: join(dir, 'root'),
    // Short: containerd's socket path under it must stay under the 108-byte limit.
    execRoot: join(workDir, `x${index}`),
    socket: join(workDir, `d${index}.sock`),
    pidFile: join(dir, 'dockerd.pid'),
    log: join(dir, 'dockerd.log'),
    image: join(dir, 'btrfs.img'),
  };
}

/** Everything one daemon needs undone, whatever state it got to. */
export class DaemonLifecycle {
  private child: ChildProcess | undefined;
  private loopDevice: string | undefined;

  constructor(
    readonly driver: string,
    readonly place: DaemonPlace,
  ) {}

  /** Starts dockerd; answers the connection, or why it would not start (its last log lines). */
  async start(): Promise<BenchDaemon | { readonly failed: string }> {
    const { place, driver } = this;
    await mkdir(place.dataRoot, { recursive: true });
    if (driver === 'btrfs') {
      await sh('truncate', ['-s', '4G', place.image]);
      await sh('mkfs.btrfs', ['-q', '-f', place.image]);
      this.loopDevice = await sh('losetup', ['--find', '--show', place.image]);
      await sh('mount', ['-t', 'btrfs', this.loopDevice, place.dataRoot]);
    }
    const log = await open(place.log, 'w');
    this.child = spawn(
      'dockerd',
      [
        '-H',
        `unix://${place.socket}`,
        '--data-root',
        place.dataRoot,
        '--exec-root',
        place.execRoot,
        '--pidfile',
        place.pidFile,
        '--storage-driver',
        driver,
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false',
        '--ip6tables=false',
        '--log-level',
        'warn',
      ],
      { detached: true, stdio: ['ignore', log.fd, log.fd] },
    );
    await log.close();
    const child = this.child;
    const host = `unix://${place.socket}`;
    let connection: DockerConnection | undefined;
    await waitFor(
      async () => {
        if (child.exitCode !== null || !(await isRunning(child.pid ?? 0))) return true;
        const attempt = await connectDocker({ host, timeoutMs: 1_000, env: {} });
        if (attempt.isOk()) connection = attempt.value;
        return attempt.isOk();
      },
      60_000,
      200,
    );
    if (!connection) {
      const lines = (await readFile(place.log, 'utf8').catch(() => '')).split('\n');
      const why = lines
        .filter((l) => /level=(error|fatal)|failed to start|error initializing/i.test(l))
        .slice(-2);
      return {
        failed:
          (why.length ? why : lines.slice(-3)).join(' ').replace(/\s+/g, ' ').trim() ||
          'dockerd did not answer in 60 s',
      };
    }
    return {
      driver,
      host,
      dataRoot: place.dataRoot,
      docker: connection,
      ...(this.loopDevice && { loopDevice: this.loopDevice }),
    };
  }

  /** Stops the daemon and its containerd, unmounts, detaches the loop device, deletes the files. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    const { place } = this;
    const child = this.child;
    if (child?.pid !== undefined && (await isRunning(child.pid))) {
      process.kill(child.pid, 'SIGTERM');
      if (!(await waitFor(async () => !(await isRunning(child.pid ?? 0)), 30_000))) {
        process.kill(child.pid, 'SIGKILL');
        await waitFor(async () => !(await isRunning(child.pid ?? 0)), 10_000);
      }
    }
    // Its containerd and shims name the exec root on their command line: only ours do.
    for (const pid of await processesMentioning(place.execRoot)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await waitFor(async () => (await processesMentioning(place.execRoot)).length === 0, 10_000);
    for (const point of await mountsUnder([place.dataRoot, place.execRoot])) {
      await sh('umount', [point]).catch(() =>
        sh('umount', ['-l', point]).catch((e: Error) => void problems.push(e.message)),
      );
    }
    if (this.loopDevice) {
      await sh('losetup', ['-d', this.loopDevice]).catch(
        (e: Error) => void problems.push(e.message),
      );
      this.loopDevice = undefined;
    }
    for (const loop of (
      await sh('losetup', ['-j', place.image, '-O', 'NAME', '-n']).catch(() => '')
    )
      .split('\n')
      .filter(Boolean)) {
      await sh('losetup', ['-d', loop]).catch((e: Error) => void problems.push(e.message));
    }
    await rm(place.dir, { recursive: true, force: true }).catch(
      (e: Error) => void problems.push(e.message),
    );
    await rm(place.execRoot, { recursive: true, force: true }).catch(
      (e: Error) => void problems.push(e.message),
    );
    await rm(place.socket, { force: true });
    return problems;
  }
}
