// A cache that cannot be read heals: the publish discards it, clones again once, and succeeds —
// or reports the failure once, without looping. Each damage is done to a real cache filled from
// the real git server, then a second node (a new source on the same directory) publishes.
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { commitFiles, git, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { openTestSource, recordingLogger } from '../../../../test/support/git-source';
import { directoryTarget } from './directory-target';
import { PackBuilder, entryHeader, wholeEntry } from '../git/pack-write';
import { ObjectStore } from '../git/store';
import { publishCommit } from './publish';

const fixtures = useGitFixtures();
const HEALED = 'git cache is unreadable: discarding it and cloning again';

/** A site whose `big.txt` fills most of the pack. */
async function siteRepo(name: string) {
  const repo = await fixtures.repo(name);
  const big = randomBytes(48 * 1024).toString('hex');
  const commit = await commitFiles(repo, {
    'index.html': '<h1>home</h1>\n',
    'big.txt': big,
    'css/site.css': 'a{}\n',
  });
  return { repo, commit, big };
}

/** A node: a source on the shared cache, with a logger, publishing into its own directory. */
async function node(repo: BareRepo, cacheDir: string) {
  const logger = recordingLogger();
  const source = await openTestSource(fixtures, { url: repo.url, cacheDir, logger });
  const dir = await fixtures.dir('berth-heal-target');
  const publish = (commit: string) =>
    publishCommit({ source, commit, target: directoryTarget(dir) });
  const healed = () => logger.warn.mock.calls.filter((call) => call[1] === HEALED).length;
  const served = (path: string) => readFile(join(dir, 'current', path), 'utf8');
  return { source, logger, publish, healed, served };
}

async function packs(cacheDir: string): Promise<string[]> {
  const dir = join(cacheDir, 'objects', 'pack');
  return (await readdir(dir)).filter((f) => f.endsWith('.pack')).map((f) => join(dir, f));
}

async function flipByte(path: string, at: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, at);
    byte[0] = (byte[0] as number) ^ 0xff;
    await file.write(byte, 0, 1, at);
  } finally {
    await file.close();
  }
}

/** A cache filled by a first node that published `commit`. */
async function filledCache(repo: BareRepo, commit: string): Promise<string> {
  const cacheDir = await fixtures.dir('berth-git-cache');
  const first = await node(repo, cacheDir);
  (await first.publish(commit))._unsafeUnwrap();
  return cacheDir;
}

describe('a git cache that heals', () => {
  it('publishes through a fresh clone when a byte of a pack is flipped, and logs it', async () => {
    const { repo, commit, big } = await siteRepo('heal-flip');
    const cacheDir = await filledCache(repo, commit);
    const [pack] = await packs(cacheDir);
    await flipByte(pack as string, Math.floor((await stat(pack as string)).size / 2));
    const second = await node(repo, cacheDir);
    expect((await second.publish(commit))._unsafeUnwrap().commit).toBe(commit);
    expect(await second.served('big.txt')).toBe(big);
    expect(second.healed()).toBe(1);
  });

  it('publishes through a fresh clone when a pack is truncated', async () => {
    const { repo, commit, big } = await siteRepo('heal-truncate');
    const cacheDir = await filledCache(repo, commit);
    const [pack] = await packs(cacheDir);
    await truncate(pack as string, Math.floor((await stat(pack as string)).size / 2));
    const second = await node(repo, cacheDir);
    expect((await second.publish(commit))._unsafeUnwrap().commit).toBe(commit);
    expect(await second.served('big.txt')).toBe(big);
    expect(second.logger.warn).toHaveBeenCalledTimes(1);
  });

  it('publishes through a fresh clone when the pack holding the first commit is deleted', async () => {
    const { repo, commit, big } = await siteRepo('heal-delete');
    const cacheDir = await filledCache(repo, commit);
    const [base] = await packs(cacheDir);
    const next = await commitFiles(repo, { 'index.html': '<h1>next</h1>\n' });
    const first = await node(repo, cacheDir);
    (await first.source.resolve(next))._unsafeUnwrap();
    await rm(base as string);
    await rm((base as string).replace(/\.pack$/, '.idx'));
    const second = await node(repo, cacheDir);
    expect((await second.publish(next))._unsafeUnwrap().commit).toBe(next);
    expect(await second.served('big.txt')).toBe(big);
    expect(await second.served('index.html')).toBe('<h1>next</h1>\n');
    expect(second.logger.warn).toHaveBeenCalledTimes(1);
  });

  it('publishes through a fresh clone when two packs hold a cycle of deltas', async () => {
    const { repo, commit, big } = await siteRepo('heal-cycle');
    const cacheDir = await filledCache(repo, commit);
    // The cache rewritten as an old berth stored it after an edit and its revert: big.txt only
    // as a delta on an edited copy, which is itself only a delta on big.txt, in another pack.
    const store = new ObjectStore(repo.url, cacheDir);
    const bigOid = await git(['rev-parse', `${commit}:big.txt`], { gitDir: repo.dir });
    const edited = Buffer.concat([Buffer.from(big), Buffer.from('edited\n')]);
    const editedOid = await git(['hash-object', '--stdin'], { input: edited });
    const rewritten = new PackBuilder();
    for (const line of (await git(['rev-list', '--objects', commit], { gitDir: repo.dir })).split(
      '\n',
    )) {
      const oid = line.slice(0, 40);
      const object = (await store.read(oid))._unsafeUnwrap();
      rewritten.add(
        Buffer.from(oid, 'hex'),
        oid === bigOid
          ? refDelta(editedOid, copyDelta(edited.length, big.length))
          : wholeEntry(object.type, object.content),
      );
    }
    const other = new PackBuilder();
    other.add(
      Buffer.from(editedOid, 'hex'),
      refDelta(bigOid, appendDelta(big.length, Buffer.from('edited\n'))),
    );
    const old = await packs(cacheDir);
    for (const built of [rewritten.finish(), other.finish()]) {
      const name = join(cacheDir, 'objects', 'pack', `pack-${built.checksum.toString('hex')}`);
      await writeFile(`${name}.pack`, built.pack);
      await writeFile(`${name}.idx`, built.index);
    }
    for (const pack of old) {
      await rm(pack);
      await rm(pack.replace(/\.pack$/, '.idx'));
    }
    const probe = new ObjectStore(repo.url, cacheDir);
    expect((await probe.read(bigOid))._unsafeUnwrapErr()).toMatchObject({
      kind: 'GitCacheCorrupt',
      problem: 'delta-cycle',
    });
    const second = await node(repo, cacheDir);
    expect((await second.publish(commit))._unsafeUnwrap().commit).toBe(commit);
    expect(await second.served('big.txt')).toBe(big);
    expect(second.healed()).toBe(1);
  });

  it('reports a second failure once, without looping, when the fresh clone cannot be made', async () => {
    const { repo, commit } = await siteRepo('heal-twice');
    const cacheDir = await filledCache(repo, commit);
    const [pack] = await packs(cacheDir);
    await flipByte(pack as string, Math.floor((await stat(pack as string)).size / 2));
    const second = await node(repo, cacheDir);
    (await second.source.resolve(commit))._unsafeUnwrap();
    await rename(repo.dir, `${repo.dir}.gone`);
    try {
      const failed = (await second.publish(commit))._unsafeUnwrapErr();
      // Reported (by the target, which was staging when the read failed) with the read's error.
      expect(JSON.stringify(failed)).toContain('"kind":"GitCacheCorrupt"');
      expect(failed.message).toMatch(/is corrupt: .*; cloning the cache again failed: .*HTTP 404/);
      expect(second.healed()).toBe(1);
      // The next attempt finds an empty cache and the server still gone: it says so, at once.
      expect((await second.publish(commit))._unsafeUnwrapErr()).toMatchObject({
        kind: 'GitFetch',
        reason: 'not-a-repository',
      });
      expect(second.healed()).toBe(1);
    } finally {
      await rename(`${repo.dir}.gone`, repo.dir);
    }
    expect((await second.publish(commit))._unsafeUnwrap().commit).toBe(commit);
    expect(second.healed()).toBe(1);
  });
});

const REF_DELTA = 7;

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  return [...out, n];
}

function refDelta(baseOid: string, delta: Buffer): Buffer {
  return Buffer.concat([
    entryHeader(REF_DELTA, delta.length),
    Buffer.from(baseOid, 'hex'),
    deflateSync(delta),
  ]);
}

/** A delta copying the first `length` bytes of a base of `baseLength` (length < 16 MiB). */
function copyDelta(baseLength: number, length: number): Buffer {
  return Buffer.from([
    ...varint(baseLength),
    ...varint(length),
    0x80 | 0x10 | 0x20 | 0x40,
    length & 0xff,
    (length >> 8) & 0xff,
    (length >> 16) & 0xff,
  ]);
}

/** A delta copying all of a base of `baseLength` and appending `suffix` (under 128 bytes). */
function appendDelta(baseLength: number, suffix: Buffer): Buffer {
  const copyAll = copyDelta(baseLength, baseLength).subarray(varint(baseLength).length * 2);
  return Buffer.concat([
    Buffer.from([...varint(baseLength), ...varint(baseLength + suffix.length)]),
    copyAll,
    Buffer.from([suffix.length]),
    suffix,
  ]);
}
