// run() in-process, against the real services: what a user types, what comes back.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../test/support/git';
import { serviceEnv } from '../../../test/support/services';
import { captureIo } from '../test/capture-io';
import type { CliIo } from './io';
import { ExitCode, run } from './program';

const env = () => serviceEnv();
const fixtures = useGitFixtures();
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function berth(argv: string[], overrides: Partial<CliIo> = {}) {
  const captured = captureIo(overrides);
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('help', () => {
  it.each([
    ['name'],
    ['data-container', 'create'],
    ['data-container', 'rm'],
    ['publish'],
    ['deploy'],
    ['status'],
    ['rollback'],
    ['probe', 'registry'],
    ['probe', 'storage'],
    ['audit'],
  ])('berth %s --help shows usage, the global options and examples', async (...command) => {
    const { code, stdout } = await berth([...command, '--help']);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toContain(`Usage: berth ${command.join(' ')}`);
    expect(stdout).toContain('Global Options:');
    expect(stdout).toMatch(/Examples:\n {2}\$ berth /);
  });

  it('shows help on stderr and exits 2 when no command is given', async () => {
    const { code, stdout, stderr } = await berth([]);
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: berth');
  });
});

describe('usage errors exit 2 before anything is done', () => {
  it.each([
    [['name'], "missing required argument 'ref'"],
    [['nmae', 'x'], "unknown command 'nmae'"],
    [['data-container', 'create', 'x', '--image', 'busybox'], "required option '--volume <path>'"],
    [['--timeout', 'soon', 'name', 'x'], '"soon" is not a duration'],
    [
      ['probe', 'registry', 'r', '--fail-on', 'high'],
      'Allowed choices are info, warn, critical, none',
    ],
    [['deploy', '--key', 'k', '--commit', 'a', '--min-nodes', '0'], 'not a whole number'],
    [
      ['publish', '--repo', 'http://127.0.0.1:1/x.git', '--dir', '/tmp/x', '--container', 'c'],
      'not both',
    ],
    [
      ['publish', '--repo', 'http://127.0.0.1:1/x.git', '--container', 'c'],
      '--container needs --path',
    ],
    [
      ['probe', 'registry', 'r', '--password-stdin'],
      '--password-stdin needs --registry-user (or BERTH_REGISTRY_USER)',
    ],
  ])('berth %j', async (argv, message) => {
    const { code, stdout, stderr } = await berth(argv);
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('still prints one JSON document with --json: {"error": {"kind": "Usage", …}}', async () => {
    const parsing = await berth(['--json', 'audit']);
    expect(parsing.code).toBe(ExitCode.usage);
    expect(JSON.parse(parsing.stdout)).toEqual({
      error: { kind: 'Usage', message: "missing required argument 'image'" },
    });
    const checking = await berth(['publish', '--repo', 'http://127.0.0.1:1/x.git', '--json']);
    expect(checking.code).toBe(ExitCode.usage);
    expect(JSON.parse(checking.stdout)).toMatchObject({
      error: { kind: 'Usage', field: 'container' },
    });
    const group = await berth(['probe', '--json']);
    expect(group.code).toBe(ExitCode.usage);
    expect(JSON.parse(group.stdout)).toMatchObject({ error: { kind: 'Usage' } });
  });

  it('maps an argument the library refuses (InvalidInput) to 2 as well', async () => {
    const { code, stderr } = await berth(['data-container', 'rm', 'no/such/name']);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(/^InvalidInput: /);
  });
});

describe('runtime failures exit 3 with kind: message', () => {
  it('names the engine that did not answer', async () => {
    const { code, stdout, stderr } = await berth([
      '--docker-host',
      'unix:///nonexistent/docker.sock',
      '--json',
      'name',
      'web',
    ]);
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toMatch(/^DockerUnreachable: no Docker engine answered/);
    expect(JSON.parse(stdout)).toMatchObject({
      error: { kind: 'DockerUnreachable', attempts: [{ source: 'options', outcome: 'failed' }] },
    });
  });

  it('turns a --timeout that ran out into Timeout, naming the operation', async () => {
    const { code, stderr } = await berth(['--timeout', '1ms', 'probe', 'registry', env().registry]);
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toMatch(/^Timeout: probe registry .* did not finish within 1 ms \(--timeout\)/);
  });

  it('stops at once when interrupted', async () => {
    const { code, stderr } = await berth(['probe', 'registry', env().registry], {
      signal: AbortSignal.abort(),
    });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toMatch(/^Aborted: /);
  });
});

describe('secrets from stdin or the environment', () => {
  const probe = ['--json', 'probe', 'registry', env().authRegistryHttp, '--no-check-push'];

  it('reads the password from --password-stdin, less its newline', async () => {
    const { code, stdout } = await berth(
      [...probe, '--user', env().registryUser, '--password-stdin'],
      {
        stdin: () => Promise.resolve(`${env().registryPassword}\n`),
      },
    );
    expect(code).toBe(ExitCode.ok);
    expect(JSON.parse(stdout)).toMatchObject({ facts: { credentials: 'accepted' } });
  });

  it('reads BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD', async () => {
    const { stdout } = await berth(probe, {
      env: {
        ...process.env,
        BERTH_REGISTRY_USER: env().registryUser,
        BERTH_REGISTRY_PASSWORD: env().registryPassword,
      },
    });
    expect(JSON.parse(stdout)).toMatchObject({ facts: { credentials: 'accepted' } });
  });

  it('refuses a user without a password, and an empty stdin', async () => {
    const noPassword = await berth([...probe, '--user', 'ci'], {
      env: { ...process.env, BERTH_REGISTRY_PASSWORD: undefined },
    });
    expect(noPassword.code).toBe(ExitCode.usage);
    expect(noPassword.stderr).toContain(
      '--password-stdin, give --password-file or set BERTH_REGISTRY_PASSWORD',
    );
    const empty = await berth([...probe, '--user', 'ci', '--password-stdin'], {
      stdin: () => Promise.resolve(''),
    });
    expect(empty.code).toBe(ExitCode.usage);
    expect(empty.stderr).toContain('standard input was empty');
  });
});

describe('progress on a terminal only', () => {
  async function publishToDir(overrides: Partial<CliIo>, extra: string[] = []) {
    const repo = await fixtures.repo('cli-progress');
    const sha = await commitFiles(repo, { 'index.html': 'hello\n' });
    const dir = await mkdtemp(join(tmpdir(), 'berth-cli-progress-'));
    scratch.push(dir);
    const result = await berth(
      [...extra, 'publish', '--repo', repo.url, '--ref', 'main', '--dir', dir],
      overrides,
    );
    return { ...result, sha, dir };
  }

  it('draws the publish on stderr when it is a terminal, and clears it before the result', async () => {
    const { code, stdout, stderr, sha, dir } = await publishToDir({ isTTY: true, columns: 100 });
    expect(code).toBe(ExitCode.ok);
    expect(stderr).toContain(`\r\x1b[2Kpublish [######------------------] ${sha.slice(0, 12)}`);
    expect(stderr).toContain('staging 1 file');
    expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(stdout).toContain(`published ${sha} into directory ${dir}`);
    expect(await readFile(join(dir, 'current', 'index.html'), 'utf8')).toBe('hello\n');
  });

  it('draws nothing when stderr is not a terminal, or with --quiet', async () => {
    expect((await publishToDir({ isTTY: false })).stderr).toBe('');
    expect((await publishToDir({ isTTY: true }, ['--quiet'])).stderr).toBe('');
  });
});
