import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the docker CLI (the seed's way) and returns its trimmed stdout; rejects on a non-zero exit. */
export async function docker(args: readonly string[]): Promise<string> {
  const { stdout } = await run('docker', [...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Runs the docker CLI and returns its exit code and stderr instead of rejecting. */
export async function dockerStatus(
  args: readonly string[],
): Promise<{ code: number; stderr: string }> {
  try {
    await run('docker', [...args]);
    return { code: 0, stderr: '' };
  } catch (cause) {
    const failure = cause as { code?: unknown; stderr?: unknown };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      stderr: typeof failure.stderr === 'string' ? failure.stderr : String(cause),
    };
  }
}

/** Runs `tasks` with at most `limit` in flight; answers in input order. */
export async function inParallel<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/** Removes every container (and its anonymous volumes) carrying `label`; answers how many. */
export async function removeLabelled(label: string): Promise<number> {
  const ids = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${label}`]))
    .split('\n')
    .filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) {
    await docker(['rm', '--force', '--volumes', ...ids.slice(i, i + 50)]);
  }
  return ids.length;
}
