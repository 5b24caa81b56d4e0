// The demo's site repository: a bare repository with `nginx/nginx.conf` and `site/index.html`,
// and a way to add a version of the page. git runs as async child processes.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const identity = ['-c', 'user.name=berth demo', '-c', 'user.email=demo@berth.invalid'];

export interface DemoRepository {
  /** The directory holding the bare repository (the git server's root). */
  readonly root: string;
  /** `site.git`. */
  readonly name: string;
  /** The first commit's SHA. */
  readonly first: string;
  /** Commits version `n` of the page; resolves its SHA. */
  commit(n: number): Promise<string>;
  remove(): Promise<void>;
}

const nginxConf = (port: number) => `worker_processes 1;
error_log stderr;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  default_type text/html;
  server {
    listen 127.0.0.1:${port};
    root /www/current;
    add_header Cache-Control no-store;
  }
}
`;

const page = (n: number) =>
  `<!doctype html><title>berth demo</title><h1>version ${n}</h1>\n<p>Served from the data container, published by berth.</p>\n`;

export async function createDemoRepository(port: number): Promise<DemoRepository> {
  const root = await mkdtemp(join(tmpdir(), 'berth-demo-git-'));
  const work = join(root, 'work');
  const bare = join(root, 'site.git');
  const git = async (args: string[], cwd = work) =>
    (await run('git', [...identity, ...args], { cwd })).stdout.trim();
  await mkdir(join(work, 'nginx'), { recursive: true });
  await mkdir(join(work, 'site'), { recursive: true });
  await git(['init', '-q', '-b', 'main']);
  await writeFile(join(work, 'nginx', 'nginx.conf'), nginxConf(port));
  await writeFile(join(work, 'site', 'index.html'), page(1));
  await git(['add', '.']);
  await git(['commit', '-q', '-m', 'version 1']);
  await git(['clone', '-q', '--bare', work, bare], root);
  await git(['remote', 'add', 'origin', bare]);
  const first = await git(['rev-parse', 'HEAD']);
  return {
    root,
    name: 'site.git',
    first,
    commit: async (n) => {
      await writeFile(join(work, 'site', 'index.html'), page(n));
      await git(['commit', '-q', '-am', `version ${n}`]);
      await git(['push', '-q', 'origin', 'main']);
      return git(['rev-parse', 'HEAD']);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
