// `berth publish --container C --path P` (the built bin) where P is on none of C's volumes:
// the content would vanish with the helper, so the command fails and says where it could go.
import { describe, expect, it } from 'vitest';
import { binFixtures, exec } from '../packages/cli/test/bin-fixtures';
import { berth, jsonOf } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';
import { commitFiles, useGitFixtures } from './support/git';

const t = useTestDocker();
const fixtures = useGitFixtures();
const { createData, label, served } = binFixtures(t);

describe('berth publish --path', () => {
  it('exits non-zero naming the volumes when the path is not one of the container’s', async () => {
    const repo = await fixtures.repo('cli-publish-path');
    await commitFiles(repo, { 'index.html': 'x\n', 'about.html': 'y\n' });
    const name = t.name('cli-publish-path');
    expect((await createData(name)).code).toBe(0);
    const publish = (path: string, extra: readonly string[] = []) =>
      berth([
        ...['publish', '--repo', repo.url, '--ref', 'main', '--container', name],
        ...['--path', path, ...label(), ...extra],
      ]);

    const refused = await publish('/not-a-volume');
    expect(refused.code).toBe(2);
    expect(refused.stdout).not.toContain('published');
    expect(refused.stderr).toContain('InvalidInput');
    expect(refused.stderr).toContain('/not-a-volume');
    expect(refused.stderr).toContain('/www (volume');

    const json = await publish('/not-a-volume', ['--json']);
    expect(json.code).toBe(refused.code);
    expect(jsonOf(json)).toMatchObject({ error: { kind: 'InvalidInput', field: 'path' } });

    const { stdout: helpers } = await exec('docker', [
      ...['ps', '-aq', '--filter', `name=${name}-berth-helper`],
    ]);
    expect(helpers.trim()).toBe('');

    const inside = await publish('/www/site');
    expect(inside.code).toBe(0);
    expect(await served(name, 'index.html', '/www/site')).toBe('x\n');
  });
});
