// The TypeScript blocks of README.md and docs/*.md, run (test/docs.test.ts type-checks them):
// each file's blocks, in order, as one module (tsModule), under tsx against the built packages
// and the real services. The placeholders are swapped as in the shell test (example URLs →
// the services', container names and etcd keys → fresh ones, `minNodes` → 1), a runtime
// prelude gives what the snippets take as given (a real commit, the git password, real
// container ids), and checks owned by this test follow the blocks: a snippet may discard a
// Result, so exit code 0 alone proves nothing — the checks look at the effects (nginx serves
// the page, the node reports the commit, the container exists with its volumes, …). The module
// ends with process.exit(0) after the checks (a watcher keeps the process alive); a module still
// running after RUN_TIMEOUT_MS is killed with its process group. Run `npm run --silent build` first.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/index';
import { nginxConf, provisionCdnNode, type CdnNode } from './support/cdn-node';
import { docFiles, extractBlocks, substitute, tsModule } from './support/doc-blocks';
import { LABEL_TEST_RUN, useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures, type BareRepo } from './support/git';
import { openTestSource } from './support/git-source';
import { freePort } from './support/net';
import { serviceEnv } from './support/services';
import { forgetKeys, uniqueKey } from './support/watch-fixtures';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const tsx = join(root, 'node_modules/.bin/tsx');
const RUN_TIMEOUT_MS = 150_000;
const fixtures = useGitFixtures();
const t = useTestDocker();

const files = docFiles(root);
const tsBlocks = files.flatMap((file) =>
  extractBlocks(file, readFileSync(join(root, file), 'utf8')).filter(
    (b) =>
      b.lang === 'ts' && !b.directives.some((d) => d.kind === 'skip' || d.kind === 'covered-by'),
  ),
);
const filesWithTs = [...new Set(tsBlocks.map((b) => b.file))];

/** What one file's module is run with. */
interface TsRun {
  /** Definitions of what the snippets take as given. */
  readonly prelude: string;
  readonly replacements: ReadonlyArray<readonly [string | RegExp, string]>;
  /** This test's checks of a block's effects, placed after the one block whose code holds the key. */
  readonly checks: Readonly<Record<string, string>>;
  /** Code after the last block, before the exit. */
  readonly epilogue?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Helpers the checks use; the names start with `__docs` so no snippet's names collide. */
const commonPrelude = `import { execFileSync as __docsExecFile } from 'node:child_process';
import { readFileSync as __docsReadFile } from 'node:fs';
const __docs = {
  check(ok: unknown, what: string, seen?: unknown): void {
    if (!ok) throw new Error(\`docs check failed: \${what}\${seen === undefined ? '' : \`: \${JSON.stringify(seen)}\`}\`);
  },
  async until(what: string, condition: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(\`docs check failed: \${what}: not within \${ms} ms\`);
      await new Promise((r) => setTimeout(r, 50));
    }
  },
  async page(port: number): Promise<{ status: number; body: string; config: string | null }> {
    const response = await fetch(\`http://127.0.0.1:\${port}/index.html\`);
    return { status: response.status, body: await response.text(), config: response.headers.get('x-config') };
  },
  docker(...args: string[]): string {
    return __docsExecFile('docker', args, { encoding: 'utf8' });
  },
  resolved(name: string): string {
    return import.meta.resolve(name);
  },
  read(path: string): string | undefined {
    try { return __docsReadFile(path, 'utf8'); } catch { return undefined; }
  },
};
for (const pkg of ['@berth/core', '@berth/probes', '@berth/cli'])
  __docs.check(__docs.resolved(pkg).includes('/dist/'), 'the built package is run', __docs.resolved(pkg));
`;

const env = serviceEnv();
let etcd: EtcdConnection;
/** Containers the snippets create under fresh names (not labelled: removed by name). */
const namedByDocs = new Set<string>();
const groups = new Set<number>();
const registryImages: Array<{ ref: string; digest: string | undefined }> = [];

function freshName(prefix: string): string {
  const name = t.name(`docs-ts-${prefix}`);
  namedByDocs.add(name);
  namedByDocs.add(`${name}-berth-helper`);
  return name;
}

/** A site repository whose nginx.conf listens on `port`: commit `a` serves 'one', `b` serves 'two'. */
async function siteRepo(name: string, port: number, options: { private?: boolean } = {}) {
  const repo: BareRepo = await fixtures.repo(name, options);
  const a = await commitFiles(repo, {
    'nginx/nginx.conf': nginxConf(port, 'a'),
    'site/index.html': 'one\n',
  });
  const b = await commitFiles(repo, {
    'nginx/nginx.conf': nginxConf(port, 'b'),
    'site/index.html': 'two\n',
  });
  return { repo, a, b };
}

/** Containers that only need to exist, for the snippets that resolve ids (labelled: removed after the test). */
async function spareContainers(count: number): Promise<Array<{ id: string; name: string }>> {
  const made: Array<{ id: string; name: string }> = [];
  for (let i = 0; i < count; i++) {
    const name = t.name('docs-ts-spare');
    const { stdout } = await run('docker', [
      ...['create', '--name', name, '--network', 'none'],
      ...['--label', `${LABEL_TEST_RUN}=${t.runId}`, env.imageBusybox],
    ]);
    made.push({ id: stdout.trim(), name });
  }
  return made;
}

/** A CDN node (data container published with `commit`, nginx on `port`), labelled for cleanup. */
async function cdnNode(repo: BareRepo, commit: string, port: number): Promise<CdnNode> {
  const source = await openTestSource(fixtures, {
    url: repo.url,
    ...(repo.url.includes('/private/')
      ? { auth: () => Promise.resolve({ username: env.gitUser, password: env.gitPassword }) }
      : {}),
  });
  const node = await provisionCdnNode(t, { source, commit, port, labels: t.labels });
  namedByDocs.add(`${node.data}-berth-helper`); // the snippets' targets make it without the test's label
  return node;
}

const quote = (s: string) => `'${s}'`;

/** How each file's blocks are run. A file with ts blocks that is missing here fails the test. */
const setups: Record<string, () => Promise<TsRun>> = {
  async 'README.md'() {
    const port = await freePort();
    const { repo, a } = await siteRepo('docs-ts-readme', port);
    const [one, two] = await spareContainers(2);
    const data = freshName('readme-data');
    const nginx = freshName('readme-nginx');
    const key = uniqueKey('docs-ts-readme');
    return {
      prelude: `const sha = ${quote(a)};`,
      replacements: [
        ['https://git.example.com/site.git', repo.url],
        ['www-content', data],
        ["'www'", quote(nginx)],
        ["image: 'nginx'", `image: ${quote(env.imageNginx)}`],
        ['127.0.0.1:8080', `127.0.0.1:${port}`],
        ["'3f2a9c'", quote(one!.id.slice(0, 6))],
        ["'b71e0d4a9f2c'", quote(two!.id.slice(0, 12))],
        ["'cdn/site'", quote(key)],
        ['minNodes: 3', 'minNodes: 1'], // one node here, not a fleet
      ],
      checks: {
        'watchAndPull(': `
__docs.check(names.isOk() && names.value.answers.map((a) => a.name).join() === ${quote(`${one!.name},${two!.name}`)}, 'the ids resolve to the names', names);
__docs.check(fleet.isOk(), 'the fleet converged', fleet);
__docs.check(node.status().commit === sha, 'the node reports the announced commit', node.status());
const served = await __docs.page(${port});
__docs.check(served.body === 'one\\n' && served.config === 'a', 'nginx serves the announced commit with its configuration', served);
__docs.check(www.name === ${quote(nginx)}, 'www is the nginx container', www.name);
await node.stop();`,
      },
    };
  },

  async 'docs/cli.md'() {
    const [one] = await spareContainers(1);
    return {
      prelude: '',
      replacements: [["'3f2a9c1b07d4'", quote(one!.id.slice(0, 12))]],
      checks: {
        "run(['name'": `
__docs.check(code === 0, 'berth name exits 0', code);
__docs.check(JSON.stringify(JSON.parse(out)).includes(${quote(JSON.stringify(one!.name))}), 'the JSON names the container', out);`,
      },
    };
  },

  async 'docs/primitives.md'() {
    const port = await freePort();
    const image = `${env.registry}/berth-docs-ts/site:${t.runId}`;
    await run('docker', ['tag', env.imageBusybox, image]);
    const { stdout } = await run('docker', ['push', image]);
    registryImages.push({ ref: image, digest: /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1] });
    await run('docker', ['rmi', image]); // so the snippet really pulls it
    const [one, two] = await spareContainers(2);
    const data = freshName('primitives-data');
    const nginx = freshName('primitives-nginx');
    return {
      prelude: `const ids = [${quote(one!.id)}, ${quote(two!.id.slice(0, 12))}];`,
      replacements: [
        ["'127.0.0.1:5000/team/site:1'", quote(image)],
        ['www-content', data],
        ["'www'", quote(nginx)],
        ["image: 'nginx'", `image: ${quote(env.imageNginx)}`],
        ['127.0.0.1:8080', `127.0.0.1:${port}`],
        ["'3f2a9c'", quote(one!.id.slice(0, 6))],
      ],
      checks: {
        'pullImage(': `
__docs.check(pulled.isOk(), 'the image is pulled', pulled);
__docs.docker('image', 'inspect', ${quote(image)});`,
        'createDataContainer(': `
__docs.check(data.isOk() && data.value.created && data.value.volumes.map((v) => v.path).join() === '/etc/nginx,/www', 'the data container is created with its volumes', data);`,
        'putFiles(': `
const __copied = __docs.docker('cp', ${quote(`${data}:/www/index.html`)}, '-');
__docs.check(__copied.includes('<h1>hello</h1>'), 'the file is in the data container', __copied);`,
        'runServiceContainer(': `
__docs.check(nginx.isOk(), 'nginx served the page put in the data container', nginx);
__docs.check(__docs.docker('ps', '-aq', '--filter', ${quote(`name=^/${nginx}$`)}).trim() === '', 'nginx is removed');`,
        'resolveContainerNames(': `
__docs.check(name.isOk() && name.value === ${quote(one!.name)}, 'the id prefix resolves to its name', name);
__docs.check(raw.isOk() && raw.value === ${quote(`/${one!.name}`)}, 'with a leading slash', raw);
__docs.check(id.isOk() && data.isOk() && id.value === data.value.id, 'the name resolves to the id', id);
__docs.check(found.isOk() && found.value.answers.map((a) => a.name).join() === ${quote(`${one!.name},${two!.name}`)}, 'the batch answers each id', found);`,
      },
    };
  },

  'docs/probes.md'() {
    return Promise.resolve({
      prelude: '',
      replacements: [
        ["'registry.example.com:5000'", quote(env.authRegistryTls)],
        ["username: 'ci'", `username: ${quote(env.registryUser)}`],
        ["readFileSync('ca.crt')", `readFileSync(${quote(env.registryCa)})`],
      ],
      checks: {
        'probeRegistry(': `
__docs.check(report.isOk() && report.value.facts.reachable && report.value.facts.tls === 'verified' && report.value.facts.credentials === 'accepted', 'the registry is reached over verified TLS and takes the credentials', report);`,
      },
      env: { REGISTRY_PASSWORD: env.registryPassword },
    });
  },

  async 'docs/publishing.md'() {
    const port = await freePort();
    const { repo, a, b } = await siteRepo('docs-ts-publishing', port, { private: true });
    const node = await cdnNode(repo, a, port);
    return {
      prelude: `async function readToken(): Promise<string> {
  return process.env.BERTH_TEST_GIT_PASSWORD ?? '';
}
const commit = ${quote(b)};
const __berth = await import('@berth/core');
const config = __berth.containerTarget((await __berth.connectDocker())._unsafeUnwrap(), {
  container: ${quote(node.data)},
  path: '/etc/nginx',
});`,
      replacements: [
        ['https://git.example.com/site.git', repo.url],
        ["username: 'ci'", `username: ${quote(env.gitUser)}`],
        ['www-content', node.data],
        ["'www'", quote(node.nginx.name)],
      ],
      checks: {
        'rollbackRelease(www)': `
__docs.check(report.isOk() && report.value.commit === ${quote(b)} && report.value.previous === ${quote(a)}, 'main is published over the first commit', report);
const __rolledBack = await __docs.page(${port});
__docs.check(__rolledBack.body === 'one\\n', 'the rollback serves the first commit again', __rolledBack);`,
        'nginxConfigCheck(': `
const __served = await __docs.page(${port});
__docs.check(__served.body === 'two\\n' && __served.config === 'b', 'nginx reloaded the new configuration and serves the new site', __served);`,
      },
    };
  },

  async 'docs/watching.md'() {
    const port = await freePort();
    const { repo, a, b } = await siteRepo('docs-ts-watching', port);
    const node = await cdnNode(repo, a, port);
    const key = uniqueKey('docs-ts-watching');
    const dir = await fixtures.dir('berth-docs-ts-www');
    const cache = await fixtures.dir('berth-docs-ts-cache');
    return {
      // `log` keeps what the node reported, for the check that the loop over node.events runs.
      prelude: `const sha = ${quote(b)};
const __logged: Array<{ type?: string; commit?: string }> = [];
function log(event: unknown): void {
  __logged.push(event as { type?: string; commit?: string });
  console.log('event', (event as { type?: string }).type ?? event);
}`,
      replacements: [
        ['https://git.example.com/site.git', repo.url],
        ['www-content', node.data],
        ["container: 'nginx'", `container: ${quote(node.nginx.name)}`],
        ["'cdn/www'", quote(key)],
        ['minNodes: 12', 'minNodes: 1'], // one node here, not a fleet
        ["directoryTarget('/www')", `directoryTarget(${quote(dir)})`],
        ["'/var/cache/berth'", quote(cache)],
      ],
      checks: {
        'announceRevision(': `
__docs.check(first.isOk(), 'the node is ready', first);
__docs.check(typeof revision === 'number' && nodes.isOk(), 'the fleet converged', nodes);
__docs.check(node.status().commit === sha, 'the node reports the announced commit', node.status());
const __served = await __docs.page(${port});
__docs.check(__served.body === 'two\\n' && __served.config === 'b', 'nginx serves the announced commit with its configuration', __served);
await __docs.until('the event loop logged the sync', () => __logged.some((e) => e.type === 'synced' && e.commit === sha));`,
        'directoryTarget(': `
await __docs.until('the directory watcher published the commit', () => __docs.read(${quote(join(dir, 'current/index.html'))}) === 'two\\n');
process.kill(process.pid, 'SIGTERM');
await __docs.until('SIGTERM stopped the watcher', async () => (await watcher.syncNow()).isErr());
await node.stop();`,
      },
      env: { SITE_REPO: repo.url, NODE_ID: 'docs-ts-dir' },
    };
  },
};

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a module with tsx in its own process group; SIGKILL to the group after the bound. */
function runModule(path: string, extraEnv: Readonly<Record<string, string>>, tmp: string) {
  // Its own tsconfig: the repository's maps @berth/* to the sources, a user gets the built files.
  const child = spawn(tsx, ['--tsconfig', join(dirname(path), 'tsconfig.json'), path], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ETCDCTL_ENDPOINTS: env.etcdEndpoint,
      TMPDIR: tmp, // the git caches of sources opened without a cacheDir
      ...extraEnv,
    },
  });
  const pgid = child.pid ?? 0;
  if (pgid) groups.add(pgid);
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const timer = setTimeout(() => killGroup(pgid), RUN_TIMEOUT_MS);
  return new Promise<Ran>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(pgid); // anything the module left behind
      groups.delete(pgid);
      resolve({ code, signal, output: output.join('') });
    }),
  );
}

function killGroup(pgid: number): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe('the TypeScript blocks run against the real services', () => {
  const dir = join(root, 'node_modules/.cache/berth-docs-test', `run-${process.pid}`);

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [env.etcdEndpoint] }))._unsafeUnwrap();
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
      }),
    );
  });

  afterEach(async () => {
    for (const pgid of groups) killGroup(pgid);
    groups.clear();
    // Those that mount the data containers' volumes first, so `-v` can remove the volumes.
    const names = [...namedByDocs].reverse();
    const users = names.filter((n) => n.endsWith('-berth-helper') || n.includes('-nginx-'));
    for (const name of [...users, ...names.filter((n) => !users.includes(n))])
      await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
    namedByDocs.clear();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    for (const { ref, digest } of registryImages) {
      await run('docker', ['rmi', ref]).catch(() => undefined);
      if (digest) {
        const repository = ref.slice(ref.indexOf('/') + 1, ref.lastIndexOf(':'));
        await fetch(`http://${env.registry}/v2/${repository}/manifests/${digest}`, {
          method: 'DELETE',
        }).catch(() => undefined);
      }
    }
    if (etcd) await forgetKeys(etcd);
    etcd?.close();
  }, 60_000);

  it('knows how to run every file that has ts blocks, and says which blocks it does not run', () => {
    const notRun = files.flatMap((file) =>
      extractBlocks(file, readFileSync(join(root, file), 'utf8'))
        .filter((b) => b.lang === 'ts' && b.directives.length > 0)
        .map((b) => `${b.file}:${b.line}: ${JSON.stringify(b.directives)}`),
    );
    console.log(`ts blocks not run here:\n  ${notRun.join('\n  ') || '(none)'}`);
    expect(filesWithTs.length).toBeGreaterThan(4);
    expect(filesWithTs.filter((file) => !setups[file])).toEqual([]);
  });

  for (const file of filesWithTs) {
    it(`${file}: its ts blocks run as one module and do what they say`, async () => {
      const setup = setups[file];
      if (!setup) throw new Error(`no setup for ${file}`);
      const blocks = tsBlocks.filter((b) => b.file === file);
      const plan = await setup();
      // Each check follows exactly one block: a check whose block changed fails here, not silently.
      const checksAt = new Map<number, string[]>();
      for (const [key, check] of Object.entries(plan.checks)) {
        const holding = blocks.filter((b) => b.code.includes(key)).map((b) => b.line);
        expect(holding, `the blocks of ${file} holding "${key}"`).toHaveLength(1);
        checksAt.set(holding[0]!, [...(checksAt.get(holding[0]!) ?? []), check]);
      }
      // Only the doc's code is substituted: the prelude and the checks hold the real values.
      const code = tsModule(
        blocks.map((b) => ({ ...b, code: substitute(b.code, plan.replacements) })),
        {
          prelude: `${commonPrelude}${plan.prelude}`,
          after: (block) =>
            (checksAt.get(block.line) ?? [])
              .map((check) => `\n// ---- checks (test/docs-ts.test.ts)${check}\n`)
              .join(''),
          epilogue: `${plan.epilogue ?? ''}\nconsole.log('docs-ts: every check of ${file} passed');\nprocess.exit(0);`,
        },
      );
      expect(code).not.toMatch(
        /example\.com|'www-content'|'cdn\/|127\.0\.0\.1:8080|'www'|:5000\/team|minNodes: (3|12)\b/,
      );
      const path = join(dir, `${file.replace(/[/.]/g, '_')}.mts`);
      await writeFile(path, code);
      const tmp = await fixtures.dir('berth-docs-ts-tmp');
      const ran = await runModule(path, plan.env ?? {}, tmp);
      expect({ code: ran.code, signal: ran.signal }, ran.output).toEqual({ code: 0, signal: null });
      expect(ran.output).toContain(`docs-ts: every check of ${file} passed`);
    }, 240_000);
  }
});
