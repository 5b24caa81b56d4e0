// Every command in README.md and docs/*.md, run as written (test/support/doc-blocks.ts has the
// convention): shell blocks go to bash against the real services, with only the placeholders
// below swapped for them; TypeScript blocks are type-checked against the built packages (and run
// by test/docs-ts.test.ts). A block that cannot run here says why in the doc (`<!-- docs-test:
// skip … -->`), and the reason is printed; a fence that names no known language, or a directive
// this test does not know, fails.
// docs/api.md is generated from TSDoc (`npm run docs:api`) and holds no commands.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/index';
import { nginxConf } from './support/cdn-node';
import {
  conventionProblem,
  docFiles,
  extractBlocks,
  consoleCommands,
  shellScript,
  substitute,
  tsModule,
  RUN_SHELL,
  type DocBlock,
} from './support/doc-blocks';
import { commitFiles, useGitFixtures, type BareRepo } from './support/git';
import { freePort } from './support/net';
import { serviceEnv } from './support/services';
import { forgetKeys, uniqueKey, until } from './support/watch-fixtures';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const fixtures = useGitFixtures();

const files = docFiles(root);
const blocks: DocBlock[] = files.flatMap((file) =>
  extractBlocks(file, readFileSync(join(root, file), 'utf8')),
);
const directive = (block: DocBlock, kind: string) => block.directives.find((d) => d.kind === kind);
const isShell = (block: DocBlock) => (RUN_SHELL as readonly string[]).includes(block.lang);
const notRun = (block: DocBlock) => directive(block, 'skip') ?? directive(block, 'covered-by');

describe('the docs follow the block convention', () => {
  it('names a known language on every fence, with valid directives', () => {
    expect(blocks.length).toBeGreaterThan(40);
    expect(blocks.map(conventionProblem).filter(Boolean)).toEqual([]);
  });

  it('points covered-by at a test that reads that doc', async () => {
    const covered = blocks.filter((b) => directive(b, 'covered-by'));
    expect(covered.length).toBeGreaterThan(0);
    for (const block of covered) {
      const test = directive(block, 'covered-by') as { test: string };
      expect(await readFile(join(root, test.test), 'utf8'), block.file).toContain(block.file);
    }
  });

  it('says why each shell block it does not run is skipped', () => {
    const skipped = blocks
      .filter((b) => isShell(b) && directive(b, 'skip'))
      .map((b) => `${b.file}:${b.line}: ${(directive(b, 'skip') as { reason: string }).reason}`);
    console.log(`shell blocks not run here:\n  ${skipped.join('\n  ')}`);
    expect(skipped.every((line) => line.length > 20)).toBe(true);
  });
});

// ---- TypeScript: each file's ts blocks, in order, as one module (imports merged) ----

/** What a doc's snippets take as given (a value from earlier in the reader's program). */
const tsPrelude: Record<string, string> = {
  'README.md': 'declare const sha: string;',
  'docs/publishing.md': [
    'declare function readToken(): Promise<string>;',
    'declare const commit: string;',
    "declare const config: import('@berth/core').ContentTarget;",
  ].join('\n'),
  'docs/primitives.md': 'declare const ids: string[];',
  'docs/watching.md': [
    'declare const sha: string;',
    'declare function log(event: unknown): void;',
  ].join('\n'),
};

describe('the TypeScript blocks type-check', () => {
  it('compiles every ts block of README.md and docs/*.md against the built packages', async () => {
    const dir = join(root, 'node_modules/.cache/berth-docs-test', String(process.pid));
    await mkdir(dir, { recursive: true });
    try {
      const byFile = new Map<string, DocBlock[]>();
      for (const block of blocks.filter((b) => b.lang === 'ts'))
        byFile.set(block.file, [...(byFile.get(block.file) ?? []), block]);
      expect(byFile.size).toBeGreaterThan(4);
      const names: string[] = [];
      for (const [file, tsBlocks] of byFile) {
        const name = `${file.replace(/[/.]/g, '_')}.mts`;
        names.push(name);
        await writeFile(join(dir, name), tsModule(tsBlocks, { prelude: tsPrelude[file] ?? '' }));
      }
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: join(root, 'tsconfig.base.json'),
          compilerOptions: {
            noEmit: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            types: ['node'],
            noUnusedLocals: false,
            noUnusedParameters: false,
          },
          files: names,
        }),
      );
      const checked = await run(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
        { cwd: dir },
      ).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? 'tsc failed without output',
      );
      expect(checked).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

// ---- shell: one shared node (repository, key, data container, nginx, a watcher) ----

interface Names {
  data: string;
  nginx: string;
  key: string;
  httpPort: number;
}

interface World {
  site: BareRepo;
  conf: BareRepo;
  secret: BareRepo;
  commits: [string, string];
  names: Names;
  ids: { data: string; nginx: string };
  cwd: string;
  bin: string;
  watcherDir: string;
  blockDirs: string;
  /** TMPDIR of every block: what the library puts in the system's temporary folder goes here. */
  tmp: string;
}

let world: World;
let etcd: EtcdConnection;
const containersMade = new Set<string>();
const groups = new Set<number>();

async function freshNames(prefix: string): Promise<Names> {
  const suffix = `${Date.now().toString(36)}${process.pid}${containersMade.size}`;
  const names = {
    data: `berth-docs-${prefix}-content-${suffix}`,
    nginx: `berth-docs-${prefix}-nginx-${suffix}`,
    key: uniqueKey(`docs-${prefix}`),
    httpPort: await freePort(),
  };
  for (const name of [names.data, names.nginx, `${names.data}-berth-helper`])
    containersMade.add(name);
  return names;
}

/** The placeholders of the docs, and what stands for them here. Applied in this order. */
function replacements(names: Names, block: DocBlock): Array<readonly [string | RegExp, string]> {
  const env = serviceEnv();
  const image = env.imageNginx; // the local nginx image; it has busybox's sh and tar too
  const ssh = (name: string) => process.env[`BERTH_TEST_GIT_SSH_${name}`] ?? '';
  const sshUrl = `ssh://${ssh('USER')}@127.0.0.1:${ssh('PORT')}/${world.site.name}.git`;
  return [
    ['http://etcd-1:2379,http://etcd-2:2379,http://etcd-3:2379', env.etcdEndpoint],
    ['https://git.example.com/nginx-conf.git', world.conf.url],
    ['https://git.example.com/private.git', world.secret.url],
    ['https://git.example.com/site.git', world.site.url],
    ['git@git.example.com:team/site.git', sshUrl],
    ['ssh://git@git.example.com:2222/team/site.git', sshUrl],
    ['/etc/berth/ssh/id_ed25519', ssh('KEY')],
    ['/etc/berth/ssh/known_hosts', ssh('KNOWN_HOSTS')],
    ['registry.example.com:5443', env.authRegistryTls],
    ['registry.example.com', env.authRegistryHttp],
    ['--registry-user ci', `--registry-user ${env.registryUser}`],
    ['--user ci', `--user ${env.registryUser}`],
    ['BERTH_REGISTRY_USER=ci', `BERTH_REGISTRY_USER=${env.registryUser}`],
    ['--git-user ci --password-stdin', `--git-user ${env.gitUser} --password-stdin`],
    ['$(pass show registry/ci)', '$REGISTRY_PASSWORD'],
    ['/run/secrets/registry', 'registry-secret'],
    ['ssh old-host docker info', 'docker info'],
    ['--min-nodes 3', '--min-nodes 1'], // one node here, not a fleet of three
    ['busybox:1.36', image],
    ['nginx:1.27', image],
    ['--image nginx ', `--image ${image} `],
    [/(--volumes-from www-content) nginx /g, `$1 ${image} `],
    [/(--name www-content) nginx /g, `$1 ${image} `],
    ['3f2a9c1b07d4 b71e0d4a9f2c', `${world.ids.data.slice(0, 12)} ${world.ids.nginx.slice(0, 12)}`],
    ['3f2a9c1b07d4 a81c', `${world.ids.data.slice(0, 12)} ${world.ids.nginx.slice(0, 12)}`],
    ['www-content', names.data],
    ['--nginx www ', `--nginx ${names.nginx} `],
    ['--nginx web', `--nginx ${names.nginx}`],
    ['--name www ', `--name ${names.nginx} `],
    ['cdn/site', names.key],
    ['127.0.0.1:9100', `127.0.0.1:${names.httpPort}`],
    ['/srv/www', world.watcherDir],
    ['--dir /www', `--dir ${join(world.blockDirs, `${block.line}-dir`)}`],
    ['=dir:/www', `=dir:${join(world.blockDirs, `${block.line}-target`)}`],
  ];
}

function blockEnv(): NodeJS.ProcessEnv {
  const env = serviceEnv();
  return {
    ...process.env,
    PATH: `${world.bin}:${process.env.PATH ?? ''}`,
    GIT_COMMIT: world.commits[1],
    BUILD_NUMBER: '42',
    ETCDCTL_ENDPOINTS: env.etcdEndpoint,
    REGISTRY_PASSWORD: env.registryPassword,
    PASSWORD: env.registryPassword,
    GIT_TOKEN: env.gitPassword,
    BERTH_GIT_PASSWORD: env.gitPassword,
    BERTH_HELPER_IMAGE: env.imageBusybox, // `berth probe storage` would pull busybox
    TMPDIR: world.tmp, // the default git cache of commands run without --cache-dir
  };
}

interface Finished {
  code: number | null;
  output: string;
  statuses: number[];
}

/** Runs a script in its own process group; resolves when bash exits (background jobs may live on). */
function startScript(script: string, block: DocBlock) {
  const statusFile = join(world.cwd, `status-${block.line}`);
  const flags = block.lang === 'console' ? [] : ['-e'];
  const shell = spawn(
    'bash',
    [...flags, '-c', block.lang === 'console' ? `exec 9>"${statusFile}"\n${script}` : script],
    { cwd: world.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: blockEnv() },
  );
  if (shell.pid !== undefined) groups.add(shell.pid);
  const output: string[] = [];
  shell.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  shell.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const finished = new Promise<Finished>((resolve) =>
    shell.once('exit', (code) => {
      void readFile(statusFile, 'utf8')
        .catch(() => '')
        .then((text) =>
          resolve({
            code,
            output: output.join(''),
            statuses: text.split('\n').filter(Boolean).map(Number),
          }),
        );
    }),
  );
  return { pgid: shell.pid ?? 0, finished, output };
}

async function groupAlive(pgid: number): Promise<boolean> {
  const { stdout } = await run('ps', ['-o', 'stat=', '-g', String(pgid)]).catch(() => ({
    stdout: '',
  }));
  return stdout.split('\n').some((s) => s.trim() !== '' && !s.trim().startsWith('Z'));
}

/** SIGTERM to what a block left running (`berth watch … &`), SIGKILL if it is still there. */
async function stopGroup(pgid: number): Promise<void> {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    groups.delete(pgid);
    return;
  }
  try {
    await until(
      'the block’s processes exited',
      async () => !(await groupAlive(pgid)),
      // A `berth watch` stopped during a publish lets that publish finish first (under a
      // second here). It once took ~28 s: the `berth publish` before it had left the volume's
      // lock behind (fixed; container-target-close.test.ts). The failure lists what ran.
      20_000,
    ).catch(async (error: Error) => {
      const { stdout } = await run('ps', ['-o', 'pid,stat,etime,args', '-g', String(pgid)]).catch(
        () => ({ stdout: '' }),
      );
      throw new Error(`${error.message}; still running after SIGTERM:\n${stdout}`);
    });
  } finally {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
    groups.delete(pgid);
  }
}

async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
  return response?.status === 200;
}

async function berthRun(args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [join(root, 'packages/cli/bin/berth.js'), ...args],
    {
      env: blockEnv(),
      timeout: 120_000,
    },
  );
  return stdout;
}

describe('the shell blocks run against the real services', () => {
  beforeAll(async () => {
    const env = serviceEnv();
    etcd = (await connectEtcd({ endpoints: [env.etcdEndpoint] }))._unsafeUnwrap();
    const [site, conf, secret] = await Promise.all([
      fixtures.repo('docs-site'),
      fixtures.repo('docs-nginx-conf'),
      fixtures.repo('docs-private', { private: true }),
    ]);
    const names = await freshNames('world');
    const port = await freePort();
    const first = await commitFiles(site, {
      'nginx/nginx.conf': nginxConf(port, 'one'),
      'site/index.html': 'one\n',
    });
    const second = await commitFiles(site, { 'site/index.html': 'two\n' });
    await commitFiles(conf, { 'nginx.conf': nginxConf(port, 'conf') });
    await commitFiles(secret, { 'index.html': 'private\n' });
    const cwd = await fixtures.dir('berth-docs-cwd');
    const bin = await fixtures.dir('berth-docs-bin');
    await writeFile(
      join(bin, 'berth'),
      `#!/bin/sh\nexec ${process.execPath} ${join(root, 'packages/cli/bin/berth.js')} "$@"\n`,
    );
    await chmod(join(bin, 'berth'), 0o755);
    await writeFile(join(cwd, 'token.txt'), env.registryPassword);
    await writeFile(join(cwd, 'registry-secret'), `${env.registryPassword}\n`);
    await copyFile(env.registryCa, join(cwd, 'registry.crt'));
    const { stdout: info } = await run('docker', ['info', '--format', '{{json .}}']);
    await writeFile(join(cwd, 'info.json'), info);
    world = {
      site,
      conf,
      secret,
      commits: [first, second],
      names,
      ids: { data: '', nginx: '' },
      cwd,
      bin,
      watcherDir: join(cwd, 'watcher-www'),
      blockDirs: await fixtures.dir('berth-docs-blocks'),
      tmp: await fixtures.dir('berth-docs-tmp'),
    };

    // The node the docs talk about: www-content with both releases, nginx serving it, and the
    // key announcing `first` then `second` (so a rollback has somewhere to go).
    const created = JSON.parse(
      await berthRun([
        ...['data-container', 'create', names.data, '--image', env.imageNginx],
        ...['--volume', '/etc/nginx', '--volume', '/www', '--json'],
      ]),
    ) as { id: string };
    for (const [path, subdir] of [
      ['/etc/nginx', 'nginx/'],
      ['/www', 'site/'],
    ] as const)
      await berthRun([
        ...['publish', '--repo', site.url, '--ref', first, '--container', names.data],
        ...['--path', path, '--subdir', subdir],
      ]);
    const { stdout: nginxId } = await run('docker', [
      ...['run', '-d', '--name', names.nginx, '--network', 'host', '--volumes-from', names.data],
      ...[env.imageNginx, 'nginx', '-g', 'daemon off;', '-c', '/etc/nginx/current/nginx.conf'],
    ]);
    world.ids = { data: created.id, nginx: nginxId.trim() };
    for (const commit of [first, second])
      await berthRun(['deploy', '--key', names.key, '--commit', commit]);

    // A watcher for the blocks that wait for nodes (deploy --wait, status, rollback --wait).
    const watcherPort = await freePort();
    startScript(
      [
        `berth watch --key ${names.key} --repo ${site.url} --node-id docs-world`,
        `--target site/=dir:${world.watcherDir} --http 127.0.0.1:${watcherPort}`,
      ].join(' '),
      { file: 'test/docs.test.ts', line: 0, lang: 'sh', code: '', directives: [] },
    );
    await until('the shared watcher is healthy', () => healthy(watcherPort), 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const pgid of [...groups]) await stopGroup(pgid).catch(() => undefined);
    for (const name of containersMade)
      await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
    if (etcd) await forgetKeys(etcd);
    etcd?.close();
  }, 60_000);

  const runnable = blocks.filter((b) => isShell(b) && !notRun(b));

  it('has shell blocks to run', () => {
    expect(runnable.length).toBeGreaterThan(12);
  });

  for (const block of runnable) {
    it(`${block.file}:${block.line} (${block.lang})`, async () => {
      const names = directive(block, 'fresh') ? await freshNames(`b${block.line}`) : world.names;
      if (directive(block, 'fresh')) names.httpPort = await freePort();
      else world.names.httpPort = await freePort();
      const script = substitute(shellScript(block), replacements(names, block));
      expect(script).not.toMatch(/example\.com|cdn\/site|www-content|etcd-\d/);

      const started = startScript(script, block);
      try {
        if (directive(block, 'daemon')) {
          await until(
            `${block.file}:${block.line} answers /healthz with 200`,
            () => healthy(names.httpPort),
            90_000,
          ).catch((error: Error) => {
            throw new Error(`${error.message}\n${started.output.join('')}`);
          });
          return;
        }
        const { code, output, statuses } = await started.finished;
        if (block.lang === 'console') {
          const expected = consoleCommands(block.code).map((c) => c.exit);
          expect(statuses, output).toEqual(expected);
        } else {
          const wanted = directive(block, 'exit') as { code: number } | undefined;
          expect(code, output).toBe(wanted?.code ?? 0);
        }
      } finally {
        await stopGroup(started.pgid).catch((error: Error) => {
          throw new Error(`${error.message}\nwhat the block printed:\n${started.output.join('')}`);
        });
      }
    }, 180_000);
  }
});
