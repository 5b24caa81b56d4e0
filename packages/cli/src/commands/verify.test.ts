// `berth verify`: exit 0 and "verified" for a whole release, exit 1 with every problem when a
// byte changed (the size kept, so only the full check sees it), --json either way.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { directoryTarget, openGitSource, publishCommit } from '@berth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { captureIo } from '../../test/capture-io';
import { run } from '../program';

const fixtures = useGitFixtures();

describe('berth verify', () => {
  let repo: BareRepo;
  let dir: string;
  let commit: string;

  beforeAll(async () => {
    repo = await fixtures.repo('cli-verify');
    commit = await commitFiles(repo, { 'index.html': 'one\n', 'a/b.txt': 'b\n' });
    dir = await fixtures.dir('berth-cli-verify');
    const source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-cli-verify-cache'),
    })._unsafeUnwrap();
    (await publishCommit({ source, commit, target: directoryTarget(dir) }))._unsafeUnwrap();
  });

  const verify = async (...args: string[]) => {
    const captured = captureIo();
    const code = await run(['verify', '--dir', dir, ...args], captured.io);
    return { code, stdout: captured.stdout(), stderr: captured.stderr() };
  };

  it('says verified, with the tree, for a whole release; also against the repository', async () => {
    const plain = await verify();
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      new RegExp(`^verified ${commit} \\(active\\) in directory .*: 2 files, tree [0-9a-f]{40}`),
    );
    const json = await verify('--json', '--repo', repo.url, '--cache-dir', await fixtures.dir('c'));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      commit,
      verified: true,
      active: true,
      problems: [],
    });
  });

  it('exits 1 and names the file when a byte changed', async () => {
    await writeFile(join(dir, '.berth', 'releases', commit, 'index.html'), 'ONE\n');
    const plain = await verify();
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(
      /^DAMAGED .*1 problem\n {2}index\.html: content [0-9a-f]{40}, expected/,
    );
    const json = await verify('--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, depth: 'full' });
  });

  it('says plainly when the release checked is not the active one, and --require-active exits 1 for it', async () => {
    const other = await commitFiles(repo, { 'index.html': 'two\n', 'a/b.txt': 'b\n' });
    const source = openGitSource({
      url: repo.url,
      cacheDir: await fixtures.dir('berth-cli-verify-cache-2'),
    })._unsafeUnwrap();
    const own = await fixtures.dir('berth-cli-verify-active');
    for (const c of [commit, other])
      (await publishCommit({ source, commit: c, target: directoryTarget(own) }))._unsafeUnwrap();
    const verify = async (...args: string[]) => {
      const captured = captureIo();
      const code = await run(['verify', '--dir', own, ...args], captured.io);
      return { code, stdout: captured.stdout() };
    };
    // `commit` is a complete release still, no longer the one served.
    const old = await verify('--commit', commit);
    expect(old.code).toBe(0);
    expect(old.stdout).toMatch(new RegExp(`^verified ${commit} \\(NOT the active release\\) in `));
    const required = await verify('--commit', commit, '--require-active');
    expect(required.code).toBe(1);
    expect(required.stdout).toMatch(
      new RegExp(`^NOT ACTIVE: ${commit} \\(NOT the active release\\)`),
    );
    const json = await verify('--commit', commit, '--require-active', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ commit, active: false, verified: true });
    const served = await verify('--commit', other, '--require-active');
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(new RegExp(`^verified ${other} \\(active\\)`));
  });
});
