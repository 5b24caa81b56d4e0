// The seed's "git pull container" image, built here from host binaries (no registry): git,
// git-remote-http, the libraries `ldd` lists for them, and busybox for a shell.
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Absolute paths of the shared libraries (and loader) a binary needs. */
async function librariesOf(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return stdout.split('\n').flatMap((line) => {
    const parts = line.trim().split(/\s+/);
    if (parts[1] === '=>' && parts[2]?.startsWith('/')) return [parts[2]];
    return parts[0]?.startsWith('/') ? [parts[0]] : [];
  });
}

async function copyInto(root: string, path: string, as = path): Promise<void> {
  await mkdir(join(root, dirname(as)), { recursive: true });
  await copyFile(path, join(root, as));
}

/** Builds `tag` with `docker import`, labelled `labels`; the rootfs is removed afterwards. */
export async function buildGitImage(
  tag: string,
  labels: Readonly<Record<string, string>>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-git-image-'));
  try {
    const binaries = ['/usr/bin/git', '/usr/lib/git-core/git-remote-http'];
    const libraries = new Set((await Promise.all(binaries.map(librariesOf))).flat());
    for (const file of [...binaries, ...libraries]) await copyInto(root, file);
    await symlink('/usr/bin/git', join(root, 'usr/lib/git-core/git'));
    await copyInto(root, '/bin/busybox');
    for (const applet of ['sh', 'cat', 'ls', 'true'])
      await symlink('busybox', join(root, 'bin', applet));
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
    await run('sh', ['-c', `printf 'root:x:0:0:root:/root:/bin/sh\\n' > ${root}/etc/passwd`]);
    const changes = Object.entries(labels).flatMap(([k, v]) => ['--change', `LABEL ${k}=${v}`]);
    await new Promise<void>((resolve, reject) => {
      const tar = spawn(
        'tar',
        ['-C', root, '-c', '--numeric-owner', '--owner=0', '--group=0', '.'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const load = spawn(
        'docker',
        ['import', ...changes, '--change', 'ENV PATH=/usr/bin:/bin', '-', tag],
        { stdio: ['pipe', 'ignore', 'inherit'] },
      );
      tar.stdout.pipe(load.stdin);
      load.on('error', reject);
      load.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`docker import exited ${code}`)),
      );
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
