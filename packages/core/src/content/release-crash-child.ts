// The publisher the crash test kills with SIGKILL at random moments: publishes the commits it is
// given into a directory, one after another, forever. Not a test itself; run by
// release-crash.test.ts with tsx.
import { directoryTarget } from './directory-target';
import { openGitSource } from '../git/source';
import { publishCommit } from './publish';

const [dir, url, cacheDir, list] = process.argv.slice(2);
const commits = (list ?? '').split(',');
const source = openGitSource({ url: url ?? '', cacheDir: cacheDir ?? '' })._unsafeUnwrap();
const target = directoryTarget(dir ?? '');

async function main() {
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const commit = commits[i % commits.length] ?? '';
    const published = await publishCommit({ source, commit, target, keep: 3 });
    process.stdout.write(
      published.isOk() ? `ok ${commit}\n` : `failed ${published.error.message}\n`,
    );
  }
}

void main();
