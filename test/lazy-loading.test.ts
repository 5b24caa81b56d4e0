// What a cold start loads: importing @berth/core for one primitive, `berth --help`, `--version`
// and `berth name` must not load the heavy libraries (etcd3 and its gRPC, isomorphic-git,
// dockerode and its ssh2, prom-client, bcryptjs). The built packages, run as users run them.
// How long a start takes is bench/cli-startup's business; this proves what is (not) loaded.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_TEST_RUN, newRunId } from './support/docker';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const recorder = join(root, 'test', 'fixtures', 'startup', 'record-modules.cjs');
const bin = join(root, 'node_modules', '.bin', 'berth');
const HEAVY = [
  'etcd3',
  '@grpc',
  'isomorphic-git',
  'dockerode',
  'docker-modem',
  'ssh2',
  'prom-client',
  'bcryptjs',
];

let scratch: string;
let runs = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-lazy-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Runs `file args` with the recorder preloaded: its stdout and the packages it loaded. */
async function recorded(
  file: string,
  args: readonly string[],
): Promise<{ stdout: string; packages: string[]; files: string[] }> {
  const record = join(scratch, `modules-${++runs}.txt`);
  const { stdout } = await exec(file, [...args], {
    cwd: join(root, 'examples'),
    env: { ...process.env, NODE_OPTIONS: `--require ${recorder}`, RECORD_MODULES_TO: record },
  });
  const files = (await readFile(record, 'utf8')).split('\n');
  const names = files.flatMap((file) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    return match?.[1] ? [match[1]] : [];
  });
  return { stdout, packages: [...new Set(names)].sort(), files };
}

async function packagesLoaded(file: string, args: readonly string[]): Promise<string[]> {
  return (await recorded(file, args)).packages;
}

const heavy = (names: readonly string[]) =>
  names.filter((name) => HEAVY.some((h) => name === h || name.startsWith(`${h}/`)));

describe('importing @berth/core', () => {
  it('loads none of the heavy libraries with import', async () => {
    const loaded = await packagesLoaded(process.execPath, [
      '--input-type=module',
      '-e',
      "const { parseImageRef } = await import('@berth/core'); parseImageRef('busybox:1');",
    ]);
    expect(loaded).toContain('neverthrow');
    expect(heavy(loaded)).toEqual([]);
  });

  it('loads none of the heavy libraries with require', async () => {
    const loaded = await packagesLoaded(process.execPath, [
      '-e',
      "require('@berth/core').parseImageRef('busybox:1')",
    ]);
    expect(heavy(loaded)).toEqual([]);
  });

  it('loads etcd3 when a function needs it', async () => {
    const loaded = await packagesLoaded(process.execPath, [
      '--input-type=module',
      '-e',
      "const { connectEtcd } = await import('@berth/core'); const r = await connectEtcd({ endpoints: ['http://127.0.0.1:1'], timeoutMs: 200 }); if (r.isOk()) r.value.close();",
    ]);
    expect(loaded).toContain('etcd3');
  });
});

describe('the berth executable', () => {
  it.each([['--help'], ['--version'], ['help', 'name']])(
    'berth %s loads none of the heavy libraries',
    async (...args) => {
      expect(heavy(await packagesLoaded(bin, args))).toEqual([]);
    },
  );

  it('berth name loads none of them either: the lookup goes over node:http', async () => {
    const runId = newRunId();
    const name = `lazy-${runId}`;
    await exec('docker', [
      'create',
      '--label',
      `${LABEL_TEST_RUN}=${runId}`,
      '--name',
      name,
      'berth-test/busybox:1',
      'true',
    ]);
    try {
      const { stdout, packages, files } = await recorded(bin, ['name', name]);
      expect(stdout).toBe(`${name}\n`);
      expect(heavy(packages)).toEqual([]);
      // The fast path ran (its own bundle), not the full program with commander.
      const bundles = files
        .filter((file) => /dist\/bin[^/]*\.cjs$/.test(file))
        .map((f) => f.replace(/.*\//, ''));
      expect(bundles.sort()).toEqual(['bin-name.cjs', 'bin.cjs']);
    } finally {
      await exec('docker', ['rm', '-f', name]);
    }
  });
});
