// publint and @arethetypeswrong/cli on every built package: the exports map, the dual
// ESM/CJS entry points and their types must all resolve the way users' tools resolve them.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = false;
for (const dir of packages) {
  for (const [tool, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.']],
  ]) {
    try {
      execFileSync(bin(tool), args, { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
      console.log(`ok   ${tool} ${dir.slice(root.length + 1)}`);
    } catch (error) {
      failed = true;
      console.error(
        `FAIL ${tool} ${dir.slice(root.length + 1)}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
    }
  }
}
process.exit(failed ? 1 : 0);
