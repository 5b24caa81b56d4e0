import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tarBuffer } from './tar';

const run = promisify(execFile);

describe('tarBuffer', () => {
  it('writes archives GNU tar extracts exactly, long names and modes included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tar-'));
    try {
      const longName = `deep/${'d'.repeat(60)}/${'n'.repeat(70)}/file ü.txt`;
      const archive = tarBuffer([
        { path: 'site', type: 'directory' },
        { path: 'site/index.html', type: 'file', content: '<h1>hi</h1>\n' },
        { path: 'site/run.sh', type: 'file', content: '#!/bin/sh\n', mode: 0o755 },
        { path: 'site/empty', type: 'file', content: '' },
        { path: 'site/link', type: 'symlink', target: 'index.html' },
        { path: longName, type: 'file', content: 'long' },
      ]);
      await writeFile(join(dir, 'a.tar'), archive);
      await run('tar', ['-xf', 'a.tar'], { cwd: dir });
      expect(await readFile(join(dir, 'site/index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
      expect((await stat(join(dir, 'site/run.sh'))).mode & 0o777).toBe(0o755);
      expect((await stat(join(dir, 'site/empty'))).size).toBe(0);
      expect(await readlink(join(dir, 'site/link'))).toBe('index.html');
      expect(await readFile(join(dir, longName), 'utf8')).toBe('long');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
