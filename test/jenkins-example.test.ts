// examples/jenkins/ run without Jenkins: every `sh` step of the Jenkinsfile, and the command line
// vars/berth.groovy builds for each berth call of the Jenkinsfile (from its STEPS and LINE tables,
// with the call's arguments as written), run with `sh -xe` as Jenkins runs them, in a workspace,
// against the real Docker engine, etcd and the registry with Basic auth. What the Groovy then reads
// from each JSON document is checked to be there. Jenkins' own parts (withCredentials, withEnv,
// readJSON) are played by the environment and files the test gives each script.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/index';
import { clientOf } from '../packages/core/src/docker/connection';
import { followPullStream } from '../packages/core/src/docker/pull-stream';
import { ExitCode } from '../packages/cli/src/exit-codes';
import { berth } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';
import { commitFiles, tempDir, useGitFixtures } from './support/git';
import {
  callsOf,
  credentialVariables,
  groovyBlock,
  groovyField,
  parseGroovy,
  shCount,
  shScripts,
  stageNames,
  type GroovyValue,
} from './support/groovy';
import { serviceEnv } from './support/services';
import { directoryNode, forgetKeys, uniqueKey, type DirectoryNode } from './support/watch-fixtures';

const root = join(import.meta.dirname, '..');
const example = join(root, 'examples', 'jenkins');
const services = serviceEnv();
const t = useTestDocker();
const fixtures = useGitFixtures();

const jenkinsfile = await readFile(join(example, 'Jenkinsfile'), 'utf8');
const library = await readFile(join(example, 'vars', 'berth.groovy'), 'utf8');

type Json = Record<string, unknown>;
type Steps = Record<string, { command: string[]; operand?: string; flags: Record<string, string> }>;
const EXIT_CODES = groovyField(library, 'EXIT_CODES') as Record<string, string>;
const LINE = groovyField(library, 'LINE') as string;
const STEPS = groovyField(library, 'STEPS') as unknown as Steps &
  Record<string, { defaults: Record<string, GroovyValue> }>;

/** The Jenkinsfile's `environment {}` values, replaced by the services' for the test: */
const ENVIRONMENT_FOR_TEST = {
  ETCDCTL_ENDPOINTS: services.etcdEndpoint,
  BERTH_KEY: uniqueKey('jenkins-example'),
  REGISTRY: services.authRegistryTls,
};
/** Images the Jenkinsfile names → the local test image, pushed under this run's tag (beforeAll). */
const repository = 'berth-test-jenkins/nginx';
const IMAGES_FOR_TEST = {
  [`${services.authRegistryTls}/cdn/nginx:stable`]: `${services.authRegistryTls}/${repository}:${t.runId}`,
};
/** Agent-side facts the shell sees and the Jenkinsfile does not set (a real agent has these). */
const AGENT = {
  // `berth` on PATH: the built CLI of this repository.
  PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
  JOB_NAME: 'cdn-site',
  BUILD_NUMBER: '42',
  BRANCH_NAME: 'main',
};

let workspace: { dir: string; cleanup(): Promise<void> };
let jenkinsEnv: Record<string, string>;
let etcd: EtcdConnection;
let pushedDigest: string | undefined;
const nodes: DirectoryNode[] = [];

/** The `environment {}` block, each value read as Groovy (later ones may use `env.` earlier). */
function declaredEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of groovyBlock(jenkinsfile, 'environment {').split('\n')) {
    const match = /^\s*(\w+)\s*=\s*(.+)$/.exec(line);
    if (match) env[match[1]!] = parseGroovy(match[2]!, env).value as string;
  }
  return env;
}

/** Credentials as `withCredentials([usernamePassword(…)])` binds them, for every binding named. */
function boundCredentials(): Record<string, string> {
  const bindings = [...credentialVariables(jenkinsfile), ...credentialVariables(library)];
  expect(bindings.length).toBeGreaterThan(0);
  return Object.fromEntries(
    bindings.flatMap((b) => [
      [b.user, services.registryUser],
      [b.password, services.registryPassword],
    ]),
  );
}

interface Sh {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sh -xe` as Jenkins runs a step: in the workspace, with the build's environment. */
function sh(script: string, env: Record<string, string> = jenkinsEnv): Promise<Sh> {
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-xe', '-c', script],
      { cwd: workspace.dir, env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** berth.groovy's `wordsOf(step, args)`: the command, the operand, then STEPS' flags in order. */
function wordsOf(step: string, args: Record<string, GroovyValue>): string[] {
  const spec = STEPS[step];
  if (!spec) throw new Error(`berth.groovy has no step ${step}`);
  const options = { ...spec.defaults, ...args };
  const words = [...spec.command];
  if (spec.operand) words.push(word(options[spec.operand]));
  for (const [option, flag] of Object.entries(spec.flags)) {
    const value = options[option];
    if (value === true) words.push(flag);
    else if (value !== undefined && value !== null && value !== false)
      words.push(flag, word(value));
  }
  return words;
}

/** A value as Groovy's `toString()` gives it, for the strings and numbers a call passes. */
function word(value: GroovyValue | undefined): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new Error(`not a string or number: ${JSON.stringify(value)}`);
}

/** berth.groovy's `q`: one argument quoted for sh. */
const q = (value: string) => `'${value.replaceAll("'", `'"'"'`)}'`;

interface Call {
  code: number;
  /** What EXIT_CODES says the code means (undefined: berth has no such code). */
  meaning: string | undefined;
  doc: Json | undefined;
  stdout: string;
  stderr: string;
}

/** berth.groovy's `run(words, [stdin:])`: LINE filled in, run, its own two files read and removed. */
async function run(words: string[], stdin = '', env = jenkinsEnv): Promise<Call> {
  const base = join(`${workspace.dir}@tmp`, `berth-${randomUUID()}`);
  const [out, err] = [`${base}.json`, `${base}.err`];
  const line = LINE.replace('%STDIN%', stdin ? `${stdin} ` : '')
    .replace('%ARGS%', words.map(q).join(' '))
    .replace('%OUT%', q(out))
    .replace('%ERR%', q(err));
  const { code } = await sh(line, env);
  const stdout = await readFile(out, 'utf8').catch(() => '');
  const stderr = await readFile(err, 'utf8').catch(() => '');
  await rm(out, { force: true });
  await rm(err, { force: true });
  const meaning = EXIT_CODES[String(code)];
  const doc = meaning && stdout.trim() ? (JSON.parse(stdout) as Json) : undefined;
  return { code, meaning, doc, stdout, stderr };
}

/** The stdin fragment and extra words berth.groovy's probeRegistry gives a call with credentials. */
function probeWithCredentials(): { extra: string[]; stdin: string } {
  const match = /run\(cli \+ (\[[^\]]*\]), \[stdin: '([^']*)'\]\)/.exec(library);
  if (!match) throw new Error('berth.groovy: probeRegistry no longer pipes the password as read');
  return { extra: parseGroovy(match[1]!).value as string[], stdin: match[2]! };
}

/** A Jenkinsfile stage: its sh scripts, its berth calls (arguments read with the build's env). */
function stage(name: string) {
  const block = groovyBlock(jenkinsfile, `stage('${name}')`);
  const scripts = shScripts(block);
  expect(scripts, `every sh of "${name}" is one single-quoted script`).toHaveLength(shCount(block));
  const calls = callsOf(block, 'berth').map(({ step, args }) => ({ step, args }));
  return {
    block,
    scripts,
    calls,
    /** The named arguments of the stage's one call of `step`. */
    argsOf(step: string): Record<string, GroovyValue> {
      const call = calls.find((c) => c.step === step);
      if (!call) throw new Error(`stage "${name}" does not call berth.${step}`);
      return parseGroovy(call.args, jenkinsEnv).value as Record<string, GroovyValue>;
    },
  };
}

/** Every `<variable>.a.b` the block reads resolves in `doc` (`?.` read as `.`). */
function expectReadable(block: string, variable: string, doc: Json): string[] {
  const paths = [...block.matchAll(new RegExp(`\\b${variable}((?:\\??\\.\\w+)+)`, 'g'))].map((m) =>
    m[1]!.replaceAll('?.', '.').slice(1),
  );
  // Closure calls end a path: `report.findings.collect { … }` reads `report.findings`.
  const data = paths.map((p) => p.replace(/\.(collect|each|findAll|join)$/, ''));
  for (const path of data) {
    const value = path
      .split('.')
      .reduce<unknown>((at, key) => (at as Json | undefined)?.[key], doc);
    expect(value, `${variable}.${path}`).not.toBeUndefined();
  }
  return data;
}

/** Pushes berth-test/nginx (recommitted with this run's label) as IMAGES_FOR_TEST's target. */
async function pushTestImage(): Promise<void> {
  const client = clientOf(t.docker);
  const [target] = Object.values(IMAGES_FOR_TEST);
  const container = await client.createContainer({
    Image: services.imageNginx,
    Labels: t.labels,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    const { Id } = (await container.commit({
      changes: [`LABEL io.berth.test-run=${t.runId}`],
    })) as { Id: string };
    await client
      .getImage(Id)
      .tag({ repo: target!.slice(0, target!.lastIndexOf(':')), tag: t.runId });
    const stream = (await client.getImage(target!.slice(0, target!.lastIndexOf(':'))).push({
      tag: t.runId,
      authconfig: {
        username: services.registryUser,
        password: services.registryPassword,
        serveraddress: services.authRegistryTls,
      },
    })) as Readable;
    const statuses: string[] = [];
    const outcome = await followPullStream(stream, new AbortController().signal, (e) =>
      statuses.push(e.status),
    );
    if (outcome.kind !== 'finished') throw new Error(`push ${target}: ${JSON.stringify(outcome)}`);
    pushedDigest = statuses.map((s) => /digest: (sha256:[0-9a-f]{64})/.exec(s)?.[1]).find(Boolean);
    // Not on the engine any more: the stage's pull has to fetch it.
    await client.getImage(Id).remove({ force: true });
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

beforeAll(async () => {
  workspace = await tempDir('berth-jenkins-workspace');
  await mkdir(join(workspace.dir, 'ci'));
  await mkdir(`${workspace.dir}@tmp`); // pwd(tmp: true)
  await copyFile(services.registryCa, join(workspace.dir, 'ci', 'registry-ca.crt'));
  etcd = (await connectEtcd({ endpoints: [services.etcdEndpoint] }))._unsafeUnwrap();

  const declared = declaredEnvironment();
  expect(Object.keys(declared).sort()).toEqual(
    [...Object.keys(ENVIRONMENT_FOR_TEST), 'NGINX_IMAGE'].sort(),
  );
  const environment: Record<string, string> = { ...ENVIRONMENT_FOR_TEST };
  // The image the Jenkinsfile derives from REGISTRY, then the test's stand-in for it.
  const image = (parseGroovy(/NGINX_IMAGE\s*=\s*(.+)/.exec(jenkinsfile)![1]!, environment).value ??
    '') as string;
  environment.NGINX_IMAGE = IMAGES_FOR_TEST[image] ?? image;
  expect(environment.NGINX_IMAGE, 'the Jenkinsfile audits the image the map replaces').not.toBe(
    image,
  );
  jenkinsEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    ...AGENT,
    ...environment,
    ...boundCredentials(),
    WORKSPACE: workspace.dir,
    // withEnv(["DOCKER_CONFIG=${pwd(tmp: true)}/docker-config"]) in the audit stage.
    DOCKER_CONFIG: join(`${workspace.dir}@tmp`, 'docker-config'),
    // probeRegistry's withCredentials binds the registry user under berth's own variable.
    BERTH_REGISTRY_USER: services.registryUser,
    BERTH_REGISTRY_PASSWORD: services.registryPassword,
  };
  await pushTestImage();
});

afterAll(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.dispose()));
  await forgetKeys(etcd);
  etcd.close();
  await rm(`${workspace.dir}@tmp`, { recursive: true, force: true });
  await workspace.cleanup();
  if (pushedDigest) {
    const basic = Buffer.from(`${services.registryUser}:${services.registryPassword}`);
    // The same registry, behind its plain-HTTP proxy on loopback.
    await fetch(`http://${services.authRegistryHttp}/v2/${repository}/manifests/${pushedDigest}`, {
      method: 'DELETE',
      headers: { Authorization: `Basic ${basic.toString('base64')}` },
    }).catch(() => undefined);
  }
});

describe('the Jenkins example, run without Jenkins', () => {
  it('has the stages this test runs, and berth.groovy knows exactly the exit codes berth has', () => {
    expect(stageNames(jenkinsfile)).toEqual([
      'Registry is locked down',
      'Nginx image carries no toolchain',
      'Deploy',
      'Data containers on this agent',
    ]);
    expect(EXIT_CODES).toEqual(
      Object.fromEntries(
        Object.entries(ExitCode).map(([meaning, code]) => [String(code), meaning]),
      ),
    );
    // Each call writes files of its own (parallel calls cannot overwrite each other's).
    expect(LINE).toMatch(/>%OUT% 2>%ERR%$/);
    expect(groovyBlock(library, 'Map run(')).toMatch(/UUID\.randomUUID\(\)/);
  });

  it('a code berth does not have is a failure with what the shell printed', async () => {
    const missing = await run(wordsOf('names', {}).concat('x'), '', {
      ...jenkinsEnv,
      PATH: '/nonexistent',
    });
    expect(missing.code).toBe(127);
    expect(missing.meaning).toBeUndefined();
    expect(missing.stderr).toMatch(/berth: .*not found/);
  });

  it('Registry is locked down: the probe with the bound credential exits 0 and has what the echo reads', async () => {
    const { block, argsOf } = stage('Registry is locked down');
    const args = argsOf('probeRegistry');
    expect(args).toMatchObject({
      url: services.authRegistryTls,
      credentialsId: expect.any(String),
    });
    const { extra, stdin } = probeWithCredentials();

    const probed = await run(wordsOf('probeRegistry', args).concat(extra), stdin);
    expect(probed.stderr).not.toContain(services.registryPassword);
    expect(probed).toMatchObject({ code: 0, meaning: 'ok' });
    expect(probed.doc).toMatchObject({ facts: { credentials: 'accepted' }, failing: [] });
    expect(expectReadable(block, 'report', probed.doc!)).toEqual(
      expect.arrayContaining(['facts.tls', 'facts.auth.type', 'facts.credentials', 'findings']),
    );

    // A password the registry rejects: exit 3, and the error berth.groovy prints is there.
    const rejected = await run(wordsOf('probeRegistry', args).concat(extra), stdin, {
      ...jenkinsEnv,
      BERTH_REGISTRY_PASSWORD: 'not-the-password',
    });
    expect(rejected).toMatchObject({ code: 3, meaning: 'failure' });
    expect(rejected.doc).toMatchObject({
      error: { kind: 'CredentialsRejected', message: expect.any(String) },
    });
  });

  it('Nginx image carries no toolchain: the stage pulls the image, then berth audits it', async () => {
    const { scripts, argsOf } = stage('Nginx image carries no toolchain');
    const args = argsOf('audit');
    expect(args.image).toBe(jenkinsEnv.NGINX_IMAGE);

    // Without the stage's pull the engine does not have it: berth cannot audit it.
    const before = await run(wordsOf('audit', args));
    expect(before).toMatchObject({ code: 3, doc: { error: { kind: 'NotFound' } } });

    expect(scripts).toHaveLength(3);
    for (const script of scripts) {
      const step = await sh(script);
      expect(step.code, `${script}\n${step.stderr}`).toBe(0);
    }
    // The logout left no credential in the build's Docker config.
    const config = await readFile(join(jenkinsEnv.DOCKER_CONFIG!, 'config.json'), 'utf8');
    expect(config).not.toContain(services.authRegistryTls);

    const audited = await run(wordsOf('audit', args));
    expect([0, 1]).toContain(audited.code);
    expect(audited.doc).toMatchObject({
      image: jenkinsEnv.NGINX_IMAGE,
      toolchains: expect.any(Array),
      failOn: 'warn',
      // berth.groovy's audit reads `failing` when the code means findings.
      failing: expect.any(Array),
    });
  });

  it('Deploy: announces GIT_COMMIT and waits until three nodes serve it', async () => {
    const { block, argsOf } = stage('Deploy');
    expect(block).toContain("when { branch 'main' }");
    const repo = await fixtures.repo('jenkins-example');
    const commit = await commitFiles(repo, { 'index.html': 'from jenkins\n' });
    const key = jenkinsEnv.BERTH_KEY!;
    const started = await Promise.all(
      ['cdn-1', 'cdn-2', 'cdn-3'].map((nodeId) =>
        directoryNode({ url: repo.url, etcd, key, nodeId, retry: { maxMs: 500 } }),
      ),
    );
    nodes.push(...started);
    jenkinsEnv.GIT_COMMIT = commit;

    const args = argsOf('deploy');
    expect(args).toMatchObject({ key, commit, by: 'cdn-site#42', minNodes: 3 });
    const deployed = await run(wordsOf('deploy', args));
    expect(deployed, deployed.stderr).toMatchObject({ code: 0, meaning: 'ok' });
    expect(deployed.doc).toMatchObject({ key, commit, wait: { converged: true, minNodes: 3 } });
    expectReadable(block, 'result', deployed.doc!);
    const waitNodes = (deployed.doc!.wait as { nodes: Json[] }).nodes;
    expect(waitNodes.map((n) => n.nodeId).sort()).toEqual(['cdn-1', 'cdn-2', 'cdn-3']);
    for (const node of waitNodes) {
      expect(node).toMatchObject({ commit, serving: true, healthy: true });
      expect(expectReadable(block, 'node', node)).toEqual(['nodeId', 'commit', 'healthy']);
    }
    for (const node of started) expect(await node.served()).toBe(commit);

    // Nodes that lag: exit 1, and what laggingText reads (wait.nodes[].serving, nodeId, commit,
    // error; wait.reason) is there.
    const lagging = await run(
      wordsOf('deploy', { ...args, commit: 'f'.repeat(40), timeout: '3s' }),
    );
    expect(lagging).toMatchObject({ code: 1, meaning: 'findings' });
    expect(lagging.doc).toMatchObject({
      wait: { converged: false, reason: expect.any(String), nodes: expect.any(Array) },
    });
    for (const node of (lagging.doc!.wait as { nodes: Json[] }).nodes) {
      expect(node).toMatchObject({ nodeId: expect.any(String), serving: false });
      expect(node).toHaveProperty('commit');
      expect(node).toHaveProperty('error');
    }

    // A usage error: exit 2, with the kind and message berth.groovy prints.
    const usage = await run(wordsOf('deploy', { ...args, timeout: 'soon' }));
    expect(usage).toMatchObject({
      code: 2,
      meaning: 'usage',
      doc: { error: { kind: 'Usage', message: expect.stringContaining('soon') } },
    });
  });

  it('Data containers on this agent: lists never-started data containers and names them', async () => {
    const { scripts, calls } = stage('Data containers on this agent');
    expect(scripts).toHaveLength(1);
    expect(calls.map((c) => c.step)).toEqual(['names']);
    const names = [t.name('jenkins-data'), t.name('jenkins-data')];
    const ids: string[] = [];
    for (const name of names) {
      const created = await berth([
        ...['data-container', 'create', name, '--image', services.imageBusybox],
        ...['--volume', '/www', '--label', `io.berth.test-run=${t.runId}`, '-q'],
      ]);
      expect(created.code, created.stderr).toBe(0);
      ids.push(created.stdout.trim());
    }
    // The engine is shared with other tests: the listing is narrowed to this run's containers.
    const ours = ` --filter label=io.berth.test-run=${t.runId}`;
    const listed = await sh(scripts[0]! + ours);
    expect(listed.code).toBe(0);
    const found = listed.stdout.trim().split('\n').filter(Boolean);
    expect(found.sort()).toEqual(ids.map((id) => id.slice(0, 12)).sort());
    // They are never started: what `docker ps` without -a would have listed is nothing.
    expect((await sh(scripts[0]!.replace(/ -a(q?)\b/, ' -$1') + ours)).stdout.trim()).toBe('');

    // berth.names(ids), twice at once as parallel branches would: each call reads its own file.
    const [first, second] = await Promise.all(
      found.map((id) => run(wordsOf('names', {}).concat(id))),
    );
    for (const [call, id] of [
      [first!, found[0]!],
      [second!, found[1]!],
    ] as const) {
      expect(call).toMatchObject({ code: 0, meaning: 'ok' });
      // namesOf reads names[].ref and names[].name.
      const name = names[ids.findIndex((full) => full.startsWith(id))];
      expect(call.doc).toMatchObject({ names: [{ ref: id, name }] });
    }

    // An id that is gone: exit 3, with the error berth.groovy prints.
    const gone = await run(wordsOf('names', {}).concat('0123456789ab'));
    expect(gone).toMatchObject({
      code: 3,
      meaning: 'failure',
      doc: { error: { kind: 'NotFound' } },
    });
  });
});
