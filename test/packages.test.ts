// The built packages, imported the way users import them: by name, with `import` and `require`,
// from outside the monorepo's sources. `npm test` builds before it runs this.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

const expectedExports: Record<string, string[]> = {
  '@berth/core': [
    'connectDocker',
    'connectEtcd',
    'berthError',
    'isBerthError',
    'hasKind',
    'berthLabels',
    'BERTH_VERSION',
  ],
  '@berth/probes': ['severityAtLeast', 'findingsAtLeast', 'isSeverity'],
  '@berth/cli': ['run', 'buildProgram', 'ExitCode'],
};

async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: join(root, 'examples') });
  return stdout.trim();
}

describe.each(Object.entries(expectedExports))('built package %s', (name, names) => {
  it('has its dist files', () => {
    const dir = join(root, 'packages', name.replace('@berth/', ''), 'dist');
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(join(dir, file)), `${dir}/${file} (run npm run build)`).toBe(true);
    }
  });

  it('loads with import', async () => {
    const out = await node([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    expect(JSON.parse(out)).toEqual(expect.arrayContaining(names));
  });

  it('loads with require', async () => {
    const out = await node([
      '-e',
      `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)}))))`,
    ]);
    expect(JSON.parse(out)).toEqual(expect.arrayContaining(names));
  });
});

describe('the berth executable', () => {
  const bin = join(root, 'node_modules', '.bin', 'berth');

  it('prints its version', async () => {
    const { stdout } = await run(bin, ['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+ \(@berth\/core \d+\.\d+\.\d+\)$/);
  });

  it('prints help with examples', async () => {
    const { stdout } = await run(bin, ['--help']);
    expect(stdout).toContain('Usage: berth');
    expect(stdout).toContain('Examples:');
  });

  it('exits 2 on a usage error', async () => {
    const failure = await run(bin, ['--no-such-flag']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("unknown option '--no-such-flag'");
  });
});
