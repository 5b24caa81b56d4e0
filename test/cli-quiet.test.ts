// `-q` keeps docker's meaning: only ids (or names), one per line, on stdout; nothing on stderr.
// The built bin with its stdout and stderr as pipes, so no progress is drawn either.
import { describe, expect, it } from 'vitest';
import { binFixtures } from '../packages/cli/test/bin-fixtures';
import { berth } from '../packages/cli/test/run-bin';
import { useTestDocker } from './support/docker';

const t = useTestDocker();
const { createData } = binFixtures(t);

describe('berth -q', () => {
  it('prints only the id of the data container it creates, finds again or removes', async () => {
    const name = t.name('cli-quiet');
    const created = await createData(name, ['-q']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const id = created.stdout.trim();

    const again = await createData(name, ['--quiet']);
    expect(again).toMatchObject({ code: 0, stdout: `${id}\n`, stderr: '' });

    const named = await berth(['name', id.slice(0, 12), '-q']);
    expect(named).toMatchObject({ code: 0, stdout: `${name}\n`, stderr: '' });

    const removed = await berth(['data-container', 'rm', name, '--volumes', '-q']);
    expect(removed).toMatchObject({ code: 0, stdout: `${id}\n`, stderr: '' });
  });

  it('leaves --json alone: one document, not ids', async () => {
    const name = t.name('cli-quiet');
    const created = await createData(name, ['-q', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name, created: true });
  });
});
