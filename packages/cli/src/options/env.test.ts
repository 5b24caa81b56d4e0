// Every flag from a BERTH_… variable (the flag wins), shown in --help; --password-file beside
// --password-stdin; one spelling (--git-user) with the old one kept hidden. Real etcd, real git.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd, readAnnouncement, type EtcdConnection } from '@berth/core';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import { forgetKeys, uniqueKey } from '../../../../test/support/watch-fixtures';
import { captureIo } from '../../test/capture-io';
import { buildProgram, ExitCode, run } from '../program';
import { envVarFor } from './env';

type Env = Record<string, string | undefined>;

async function berth(argv: string[], env: Env, stdin?: string) {
  const captured = captureIo({
    env,
    ...(stdin !== undefined && { stdin: () => Promise.resolve(stdin) }),
  });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const fixtures = useGitFixtures();
const scratch: string[] = [];
let etcd: EtcdConnection;

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});
afterAll(async () => {
  await forgetKeys(etcd);
  etcd.close();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function announced(key: string): Promise<string | undefined> {
  const read = await readAnnouncement(etcd, key);
  return read._unsafeUnwrap()?.commit;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe('envVarFor', () => {
  it.each([
    ['--etcd-endpoints', 'BERTH_ETCD_ENDPOINTS'],
    ['--key', 'BERTH_KEY'],
    ['--git-user', 'BERTH_GIT_USER'],
    ['--registry-user', 'BERTH_REGISTRY_USER'],
  ])('%s → %s', (flag, name) => expect(envVarFor(flag)).toBe(name));
});

describe('--help', () => {
  it('shows the variable of every visible flag of every command', async () => {
    const captured = captureIo({ env: {} });
    const program = await buildProgram(captured.io);
    let checked = 0;
    for (const command of allCommands(program)) {
      for (const option of command.options) {
        const long = option.long ?? '';
        if (option.hidden || option.negate || ['--version', '--password-stdin'].includes(long))
          continue;
        expect(option.envVar, `${command.name()} ${long}`).toBe(envVarFor(long));
        expect(command.helpInformation()).toContain(envVarFor(long));
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('flags from the environment', () => {
  const sha = (c: string) => c.repeat(40);

  it('takes every flag of deploy from BERTH_… variables', async () => {
    const key = uniqueKey('env-deploy');
    const result = await berth(['deploy'], {
      BERTH_KEY: key,
      BERTH_COMMIT: sha('a'),
      BERTH_ETCD_ENDPOINTS: serviceEnv().etcdEndpoint,
      BERTH_JSON: '1',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ key, commit: sha('a') });
    expect(await announced(key)).toBe(sha('a'));
  });

  it('lets a flag on the command line beat its variable', async () => {
    const key = uniqueKey('env-precedence');
    const result = await berth(
      ['deploy', '--key', key, '--commit', sha('b'), '--etcd-endpoints', serviceEnv().etcdEndpoint],
      {
        BERTH_KEY: 'berth-test/not-this-key',
        BERTH_COMMIT: sha('c'),
        BERTH_ETCD_ENDPOINTS: 'http://127.0.0.1:1',
        BERTH_JSON: '0',
      },
    );
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).not.toMatch(/^\{/);
    expect(await announced(key)).toBe(sha('b'));
    expect(await announced('berth-test/not-this-key')).toBeUndefined();
  });

  it('refuses a yes/no variable that is neither, as a usage error', async () => {
    const result = await berth(['deploy', '--key', 'k', '--commit', sha('d')], {
      BERTH_WAIT: 'maybe',
    });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain('BERTH_WAIT="maybe"');
  });

  it('checks a value from a variable like one from the flag', async () => {
    const result = await berth(['deploy', '--key', 'k', '--commit', sha('d')], {
      BERTH_MIN_NODES: 'zero',
    });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("from env 'BERTH_MIN_NODES'");
  });

  it('reads the environment it is given, not the process environment', async () => {
    process.env.BERTH_KEY = 'berth-test/from-process-env';
    try {
      const result = await berth(['deploy', '--commit', sha('e')], {});
      expect(result.code).toBe(ExitCode.usage);
      expect(result.stderr).toContain("required option '--key <key>' not specified");
    } finally {
      delete process.env.BERTH_KEY;
    }
  });
});

describe('--password-file and --git-user', () => {
  async function privateRepo() {
    const repo = await fixtures.repo('env-private', { private: true });
    const commit = await commitFiles(repo, { 'index.html': 'private\n' });
    const dir = await mkdtemp(join(tmpdir(), 'berth-env-'));
    scratch.push(dir);
    return { repo, commit, dir };
  }
  const noCredentials: Env = { BERTH_GIT_USER: undefined, BERTH_GIT_PASSWORD: undefined };

  it('publishes a private repository with the password read from a file', async () => {
    const { repo, commit, dir } = await privateRepo();
    const file = join(dir, 'password');
    await writeFile(file, `${serviceEnv().gitPassword}\n`);
    const www = join(dir, 'www');
    const result = await berth(
      ['publish', '--repo', repo.url, '--dir', www, '--git-user', serviceEnv().gitUser],
      { ...noCredentials, BERTH_PASSWORD_FILE: file },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.ok);
    expect(result.stdout).toContain(`published ${commit}`);
    expect(await readFile(join(www, 'current', 'index.html'), 'utf8')).toBe('private\n');
  });

  it('refuses a missing file, an empty one, and a file with stdin', async () => {
    const { repo, dir } = await privateRepo();
    const args = ['publish', '--repo', repo.url, '--dir', join(dir, 'www')];
    const user = ['--git-user', serviceEnv().gitUser];
    const missing = await berth([...args, ...user, '--password-file', join(dir, 'nope')], {});
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.stderr).toContain('--password-file');
    await writeFile(join(dir, 'empty'), '');
    const empty = await berth([...args, ...user, '--password-file', join(dir, 'empty')], {});
    expect(empty.code).toBe(ExitCode.usage);
    expect(empty.stderr).toContain('the file is empty');
    const both = await berth(
      [...args, ...user, '--password-stdin', '--password-file', join(dir, 'empty')],
      {},
      'x',
    );
    expect(both.code).toBe(ExitCode.usage);
    expect(both.stderr).toContain('not both');
    const noUser = await berth([...args, '--password-file', join(dir, 'empty')], noCredentials);
    expect(noUser.code).toBe(ExitCode.usage);
    expect(noUser.stderr).toContain('--password-file needs --git-user (or BERTH_GIT_USER)');
  });

  it('spells the git user --git-user everywhere, with --repo-user kept hidden on watch', async () => {
    const program = await buildProgram(captureIo({ env: {} }).io);
    const commands = allCommands(program);
    for (const name of ['publish', 'watch']) {
      const command = commands.find((c) => c.name() === name);
      expect(command?.options.map((o) => o.long)).toContain('--git-user');
      expect(command?.helpInformation()).not.toContain('--repo-user');
    }
    const watch = commands.find((c) => c.name() === 'watch');
    expect(watch?.options.find((o) => o.long === '--repo-user')?.hidden).toBe(true);
  });
});
