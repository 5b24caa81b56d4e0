import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What goes into an image built from host files. */
export interface HostImageSpec {
  /** Host binaries, copied with the shared libraries `ldd` lists: `[hostPath, pathInImage?]`. */
  readonly binaries?: readonly (readonly [string, string?])[];
  readonly symlinks?: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, string>>;
}

async function librariesOf(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]).catch(() => ({ stdout: '' }));
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1] ?? '').filter(Boolean);
}

/**
 * `docker import` of a rootfs made from host files (no registry, no shell unless asked for),
 * labelled so that the test's cleanup removes it.
 */
export async function buildHostImage(
  ref: string,
  labels: Readonly<Record<string, string>>,
  spec: HostImageSpec,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-rootfs-'));
  try {
    await chmod(root, 0o755);
    const place = async (from: string, to: string) => {
      await mkdir(dirname(join(root, to)), { recursive: true });
      await copyFile(from, join(root, to));
      await chmod(join(root, to), 0o755);
    };
    for (const [from, to] of spec.binaries ?? []) {
      await place(from, to ?? from);
      for (const lib of await librariesOf(from)) await place(lib, lib);
    }
    for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await symlink(target, join(root, path));
    }
    for (const [path, content] of Object.entries(spec.files ?? {})) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const changes = Object.entries(labels).flatMap(([k, v]) => ['--change', `LABEL ${k}=${v}`]);
    await run(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        'tar -C "$0" -c --numeric-owner --owner=0 --group=0 . | docker import "$@" - "$REF"',
        root,
        ...changes,
      ],
      {
        env: { ...process.env, REF: ref },
      },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
