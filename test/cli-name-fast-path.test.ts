// `berth name` has a fast path (packages/cli/src/fast-path.ts): its own small bundle, without
// commander. It must answer exactly as the full program does. `berth name -- <refs>` means the
// same to commander but is not taken by the fast path, so the two are run side by side through
// the built executable: same stdout, stderr and exit code. `npm run build` first.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { berth } from '../packages/cli/test/run-bin';
import { LABEL_TEST_RUN, useTestDocker } from './support/docker';
import { startEngineRequestLog } from './support/engine-request-log';
import { serviceEnv } from './support/services';

const exec = promisify(execFile);
const t = useTestDocker();

async function create(name: string): Promise<string> {
  const { stdout } = await exec('docker', [
    'create',
    '--label',
    `${LABEL_TEST_RUN}=${t.runId}`,
    '--name',
    name,
    'berth-test/busybox:1',
    'true',
  ]);
  return stdout.trim();
}

/**
 * Containers created, removed or renamed on the engine between two instants (ms since the
 * epoch), from its event log. Other test files share the engine, and an ambiguous prefix's
 * message lists every container the prefix starts, theirs too.
 */
async function containerChurn(since: number, until: number): Promise<string[]> {
  const at = (ms: number) => (ms / 1000).toFixed(3);
  const { stdout } = await exec('docker', [
    'events',
    ...['--since', at(since - 50), '--until', at(until + 50)],
    ...['--filter', 'type=container'],
    ...['--filter', 'event=create', '--filter', 'event=destroy', '--filter', 'event=rename'],
    ...['--format', '{{.Action}} {{.Actor.ID}}'],
  ]);
  return stdout.split('\n').filter(Boolean);
}

/**
 * The fast path's answer and the full program's for the same options and refs. When they differ
 * and the engine's containers changed in between, that change explains it: the pair is run
 * again, a bounded number of times. A difference with no change on the engine is returned.
 */
async function bothPaths(options: readonly string[], refs: readonly string[]) {
  for (let attempt = 1; ; attempt++) {
    const since = Date.now();
    const fast = await berth(['name', ...options, ...refs]);
    const full = await berth(['name', ...options, '--', ...refs]);
    const until = Date.now();
    if (JSON.stringify(fast) === JSON.stringify(full)) return { fast, full };
    const churn = await containerChurn(since, until);
    if (churn.length === 0) return { fast, full };
    if (attempt === 10) return { fast, full, churn };
  }
}

describe('berth name: the fast path answers as the full program does', () => {
  it('for a name, several ids, an unknown id and an ambiguous id prefix, with -q and --json', async () => {
    const names = [t.name('fast-name'), t.name('fast-name')];
    const ids = [await create(names[0]!), await create(names[1]!)];
    // Two containers whose ids start alike make an ambiguous one-character prefix: by the
    // pigeonhole, at most 17 ids (16 hex digits) hold such a pair.
    const byFirst = new Map<string, string>();
    for (const id of ids) byFirst.set(id[0]!, id);
    let prefix = ids[0]![0] === ids[1]![0] ? ids[0]![0] : undefined;
    for (let i = 0; prefix === undefined && i < 16; i++) {
      const id = await create(t.name('fast-name-extra'));
      if (byFirst.has(id[0]!)) prefix = id[0];
      byFirst.set(id[0]!, id);
    }
    expect(prefix).toBeDefined();

    const cases: [readonly string[], readonly string[], number][] = [
      [[], [names[0]!], 0],
      [[], [ids[1]!.slice(0, 12), ids[0]!, names[1]!], 0],
      [['--leading-slash'], [ids[0]!], 0],
      [[], ['no-such-container-ever', names[0]!], 3],
      [[], [prefix!], 3],
      [['-q'], [names[0]!, 'no-such-container-ever'], 3],
      [['--json'], [names[1]!, 'no-such-container-ever', prefix!], 3],
      [['--json', '--quiet'], [ids[0]!], 0],
    ];
    for (const [options, refs, code] of cases) {
      const { fast, full, churn } = await bothPaths(options, refs);
      const what = `berth name ${[...options, ...refs].join(' ')}${churn ? ` (the engine's containers changed during each of 10 tries: ${churn.join(', ')})` : ''}`;
      expect(fast, what).toEqual(full);
      expect(fast.code, what).toBe(code);
    }
    const plain = await berth(['name', names[0]!, ids[1]!]);
    expect(plain.stdout).toBe(`${names[0]}\n${names[1]}\n`);
    const ambiguous = await berth(['name', prefix!, '--json']);
    expect(JSON.parse(ambiguous.stdout)).toMatchObject({ error: { kind: 'Ambiguous' } });
  });

  it('reads the BERTH_ variables of its options as the full program does', async () => {
    const name = t.name('fast-name-env');
    await create(name);
    for (const env of [{ BERTH_JSON: '1' }, { BERTH_LEADING_SLASH: 'yes', BERTH_TIMEOUT: '30s' }]) {
      const fast = await berth(['name', name], { env });
      const full = await berth(['name', '--', name], { env });
      expect(fast, JSON.stringify(env)).toEqual(full);
      expect(fast.code).toBe(0);
    }
    // A malformed value is the full program's to refuse (exit 2), with or without `--`.
    const refused = await berth(['name', name], { env: { BERTH_JSON: 'maybe' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('BERTH_JSON="maybe" is not a yes or no');
  });
});

describe('berth name: the engine socket answers directly, the full lookup runs for the rest', () => {
  /** Modules Node loaded (NODE_DEBUG=module writes them to stderr) among berth's bundles. */
  const bundles = (stderr: string) =>
    [...new Set(stderr.match(/[\w-]+\.cjs/g) ?? [])].filter((f) => /^(bin|name)/.test(f)).sort();

  it('asks one inspect per reference, nothing else, and loads no more than bin-name.cjs', async () => {
    const names = [t.name('direct'), t.name('direct')];
    const ids = [await create(names[0]!), await create(names[1]!)];
    const log = await startEngineRequestLog();
    try {
      const env = { DOCKER_HOST: log.endpoint, NODE_DEBUG: 'module' };
      const refs = [names[0]!, `/${names[1]!}`, ids[0]!.slice(0, 12), ids[1]!];
      const direct = await berth(['name', ...refs], { env });
      expect(direct.code, direct.stderr).toBe(0);
      expect(direct.stdout).toBe(`${names[0]}\n${names[1]}\n${names[0]}\n${names[1]}\n`);
      // The engine looks `/web` up as `web`: the slash is not sent.
      expect([...log.requests].sort()).toEqual(
        [names[0]!, names[1]!, ids[0]!.slice(0, 12), ids[1]!]
          .map((key) => `GET /containers/${key}/json`)
          .sort(),
      );
      expect(bundles(direct.stderr)).toEqual(['bin-name.cjs', 'bin.cjs']);

      // A reference the engine does not know: the full lookup runs, from the start.
      log.requests.length = 0;
      const unknown = await berth(['name', names[0]!, 'no-such-container-ever'], { env });
      expect(unknown.code).toBe(3);
      expect(unknown.stdout).toBe(`${names[0]}\n`);
      expect(unknown.stderr).toContain('no-such-container-ever');
      expect(log.requests).toContain('GET /containers/no-such-container-ever/json');
      expect(log.requests.some((r) => /^GET \/v[\d.]+\/containers\/json\?all=1$/.test(r))).toBe(
        true,
      );
      expect(bundles(unknown.stderr)).toEqual(['bin-name.cjs', 'bin.cjs', 'name-full.cjs']);

      // More references than DIRECT_MAX_REFS (8): one listing instead of nine inspects.
      log.requests.length = 0;
      const many = await berth(['name', ...Array<string>(9).fill(names[1]!)], { env });
      expect(many.code).toBe(0);
      expect(many.stdout).toBe(`${names[1]}\n`.repeat(9));
      expect(log.requests.filter((r) => r.includes(`/containers/${names[1]}/json`))).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('an engine that accepts and never answers: the same failure as the full program, within --timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-silent-engine-'));
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    const socketPath = join(dir, 'docker.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const env = { DOCKER_HOST: `unix://${socketPath}` };
      /** The bound the engine's ping was given, as the failure reports it. */
      const pingBound = (stderr: string) =>
        Number(/ping \S+ did not finish within (\d+) ms/.exec(stderr)?.[1]);
      const full = await berth(['--timeout', '1s', 'name', '--', 'web'], { env });
      expect(full.code).toBe(3);
      expect(full.stderr).toContain('DockerUnreachable');
      // The full program: --timeout bounds the ping too (not connectDocker's own 5 s).
      expect(pingBound(full.stderr)).toBe(1000);
      // The fast path, in-process and run again with NODE_EXTRA_CA_CERTS restored: the direct
      // attempt takes half of --timeout at most, the full lookup's ping gets what is left.
      for (const ca of [undefined, serviceEnv().registryCa]) {
        const fast = await berth(['--timeout', '1s', 'name', 'web'], {
          env: { ...env, NODE_EXTRA_CA_CERTS: ca },
        });
        const bound = pingBound(fast.stderr);
        expect(bound, fast.stderr).toBeGreaterThan(0);
        expect(bound, fast.stderr).toBeLessThanOrEqual(500);
        const same = (text: string) => text.replace(/within \d+ ms/g, 'within N ms');
        expect({ ...fast, stderr: same(fast.stderr) }).toEqual({
          ...full,
          stderr: same(full.stderr),
        });
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/berth: Node starts without NODE_EXTRA_CA_CERTS only where no certificate is needed', () => {
  // Node warns on stderr, as it starts, that it cannot load the bundle the variable names: the
  // warning says which Node processes started with the variable.
  const missing = join(tmpdir(), 'berth-no-such-ca-bundle.pem');
  const warned = (stderr: string) => stderr.includes(`Ignoring extra certs from \`${missing}\``);

  it('a name the engine socket answers: without; the full lookup and other commands: with', async () => {
    const name = t.name('extra-ca');
    await create(name);
    const env = { NODE_EXTRA_CA_CERTS: missing };
    const direct = await berth(['name', name], { env });
    expect(direct).toEqual({ code: 0, stdout: `${name}\n`, stderr: '' });

    // A reference the engine does not know: the full lookup runs in a Node with the variable.
    const plain = await berth(['name', 'no-such-container-ever', name]);
    const full = await berth(['name', 'no-such-container-ever', name], { env });
    expect(warned(full.stderr)).toBe(true);
    expect(full.code).toBe(plain.code);
    expect(full.stdout).toBe(plain.stdout);
    expect(full.stderr).toContain(plain.stderr.trim());

    // Another command, even with `name` among its arguments, starts with the variable; so does a
    // `name` command line the fast path leaves to the full program (run again with it).
    for (const args of [
      ['help', 'name'],
      ['deploy', '--key', 'name', '--help'],
      ['name', '--help'],
      ['--version'],
    ]) {
      const withCa = await berth(args, { env });
      const without = await berth(args);
      expect(warned(withCa.stderr), args.join(' ')).toBe(true);
      expect({ code: withCa.code, stdout: withCa.stdout }, args.join(' ')).toEqual({
        code: without.code,
        stdout: without.stdout,
      });
    }
  });
});

describe('berth --version: the launcher answers alone', () => {
  it('prints what the full program prints, without loading the program', async () => {
    const full = await berth(['-q', '--version']);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/^\S+ \(@berth\/core \S+\)\n$/);
    for (const flag of ['--version', '-V']) {
      // NODE_DEBUG=module names every module Node loads, on stderr.
      const fast = await berth([flag], { env: { NODE_DEBUG: 'module' } });
      expect(fast.code, flag).toBe(0);
      expect(fast.stdout, flag).toBe(full.stdout);
      expect(fast.stderr, flag).toContain('bin.cjs');
      expect(fast.stderr, flag).not.toContain('bin-program');
    }
  });
});
