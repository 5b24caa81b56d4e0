// The pack of an upload-pack answer, taken out of the side-band, stored and indexed from disk by
// berth (pack-receive.ts, pack-ingest.ts). The packs are git's own (`git pack-objects`), the
// side-band is framed here; the fetches through the real HTTP and SSH services are in
// source*.test.ts, cache-revert.test.ts, ssh.test.ts and fetch-memory.test.ts.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, useGitFixtures } from '../../../../test/support/git';
import type { GitObjectType, RawObject } from './objects';
import { divertPack } from './pack-receive';

const fixtures = useGitFixtures();

const pkt = (payload: Buffer | string) => {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'latin1');
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, '0')), bytes]);
};
const band = (n: number, bytes: Buffer) => pkt(Buffer.concat([Buffer.from([n]), bytes]));

/** An upload-pack answer: NAK, the pack in side-band packets (with progress), flush. */
function answer(pack: Buffer, extra: Buffer[] = []): Buffer {
  const parts = [pkt('NAK\n'), band(2, Buffer.from('Counting objects: 3, done.\n'))];
  for (let at = 0; at < pack.length; at += 65_000) {
    parts.push(band(1, pack.subarray(at, at + 65_000)));
  }
  return Buffer.concat([...parts, ...extra, Buffer.from('0000')]);
}

/** `bytes` as a body arriving in uneven chunks, so pkt-lines straddle them. */
async function* chunked(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 9_001) {
    yield await Promise.resolve(bytes.subarray(at, at + size));
  }
}

/** git's stdout as bytes. */
function gitBytes(args: readonly string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        encoding: 'buffer',
        maxBuffer: 1 << 26,
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' },
      },
      (error, out) => (error ? reject(new Error(error.message)) : resolve(out)),
    );
    // A git that reads no stdin may be gone before this is written (EPIPE on the pipe); its
    // exit status and output are the result either way.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** A local repository with two commits: a file edited (so deltas), and a pack of each. */
async function packs() {
  const repo = await fixtures.dir('berth-pack-receive-repo');
  await git(['init', '-q', '-b', 'main', repo]);
  const text = (n: number) =>
    Array.from({ length: 400 }, (_, i) => `line ${i} of version ${i % 50 === 0 ? n : 1}\n`).join(
      '',
    );
  const commit = async (n: number) => {
    await writeFile(join(repo, 'page.html'), text(n));
    await writeFile(join(repo, `only-${n}.txt`), `only ${n}\n`);
    await git(['-C', repo, 'add', '-A']);
    await git(['-C', repo, 'commit', '-qm', `v${n}`]);
    return git(['-C', repo, 'rev-parse', 'HEAD']);
  };
  const first = await commit(1);
  const second = await commit(2);
  const full = async () => {
    const out = await fixtures.dir('berth-pack-receive-out');
    const args = ['-C', repo, 'pack-objects', '-q', '--revs', join(out, 'p')];
    const name = await git(args, { input: `${second}\n` });
    return {
      pack: await readFile(join(out, `p-${name}.pack`)),
      index: await readFile(join(out, `p-${name}.idx`)),
    };
  };
  const thin = async () => ({
    pack: await gitBytes(
      ['-C', repo, 'pack-objects', '-q', '--revs', '--thin', '--stdout'],
      `${second}\n^${first}\n`,
    ),
  });
  const read = async (oid: string): Promise<RawObject | undefined> => {
    const type = (await git(['-C', repo, 'cat-file', '-t', oid])) as GitObjectType;
    return { type, content: await gitBytes(['-C', repo, 'cat-file', type, oid]) };
  };
  return { full: await full(), thin: await thin(), read };
}

async function run(body: Buffer, read: (oid: string) => Promise<RawObject | undefined>) {
  const packDir = await fixtures.dir('berth-pack-receive-dir');
  const passed: Buffer[] = [];
  const signal = new AbortController().signal;
  const outcome = await (async () => {
    for await (const chunk of divertPack(chunked(body), { packDir, read, signal })) {
      passed.push(Buffer.from(chunk));
    }
  })().then(
    () => undefined,
    (cause: unknown) => cause as Error,
  );
  return { packDir, passed: Buffer.concat(passed), outcome, files: await readdir(packDir) };
}

const none = () => Promise.resolve(undefined);

describe('receiving a pack from the side-band', () => {
  it('passes the lines before the pack on, and stores the pack with the index git would write', async () => {
    const { full } = await packs();
    const { packDir, passed, outcome, files } = await run(answer(full.pack), none);
    expect(outcome).toBeUndefined();
    expect(passed.toString('latin1')).toBe('0008NAK\n');
    const checksum = full.pack.subarray(-20).toString('hex');
    expect(files.sort()).toEqual([`pack-${checksum}.idx`, `pack-${checksum}.pack`]);
    expect(await readFile(join(packDir, `pack-${checksum}.pack`))).toEqual(full.pack);
    expect(await readFile(join(packDir, `pack-${checksum}.idx`))).toEqual(full.index);
  });

  it('completes a thin pack with its bases from the cache: git verifies it on its own', async () => {
    const { thin, read } = await packs();
    const { packDir, outcome, files } = await run(answer(thin.pack), read);
    expect(outcome).toBeUndefined();
    const index = files.find((f) => f.endsWith('.idx'));
    expect(index).toBeDefined();
    await git(['verify-pack', join(packDir, index as string)]);
    expect(files).toHaveLength(2);
  });

  it('refuses a thin pack whose base the cache lacks, leaving nothing behind', async () => {
    const { thin } = await packs();
    const { outcome, files } = await run(answer(thin.pack), none);
    expect(outcome?.message).toMatch(
      /needs [0-9a-f]{40} as a base, and the cache does not have it/,
    );
    expect(files).toEqual([]);
  });

  it('refuses a truncated pack, a changed byte and a wrong checksum, leaving nothing behind', async () => {
    const { full } = await packs();
    const truncated = await run(answer(full.pack.subarray(0, full.pack.length - 100)), none);
    expect(truncated.outcome).toBeInstanceOf(Error);
    expect(truncated.files).toEqual([]);

    const changed = Buffer.from(full.pack);
    const middle = Math.floor(changed.length / 2);
    changed[middle] = (changed[middle] as number) ^ 0xff;
    const flipped = await run(answer(changed), none);
    expect(flipped.outcome).toBeInstanceOf(Error);
    expect(flipped.files).toEqual([]);

    const badSum = Buffer.from(full.pack);
    badSum[badSum.length - 1] = (badSum[badSum.length - 1] as number) ^ 0xff;
    const wrong = await run(answer(badSum), none);
    expect(wrong.outcome?.message).toMatch(/does not match its checksum/);
    expect(wrong.files).toEqual([]);
  });

  it("fails with the server's message on a side-band error, leaving nothing behind", async () => {
    const { full } = await packs();
    const half = full.pack.subarray(0, 1000);
    const body = Buffer.concat([
      pkt('NAK\n'),
      band(1, half),
      band(3, Buffer.from('fatal: out of memory\n')),
    ]);
    const { outcome, files } = await run(body, none);
    expect(outcome?.message).toMatch(/fatal: out of memory/);
    expect(files).toEqual([]);
  });
});
