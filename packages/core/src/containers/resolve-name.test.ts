import { execFile } from 'node:child_process';
import { isDeepStrictEqual, promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestDocker } from '../../../../test/support/docker';
import { startEngineRequestLog } from '../../../../test/support/engine-request-log';
import { serviceEnv } from '../../../../test/support/services';
import { connectDocker } from '../docker/connect';
import type { DockerConnection } from '../docker/connection';
import { clientOf } from '../docker/connection';
import { hasKind } from '../errors';
import { err, ok } from 'neverthrow';
import {
  resolveContainerId,
  resolveContainerName,
  resolveContainerNames,
  type ResolvedNames,
} from './resolve-name';

const run = promisify(execFile);

/** The batch answers in the single form's shape, to compare them. */
const asResults = (found: ResolvedNames) =>
  found.answers.map((a) => (a.error ? err(a.error) : ok(a.name)));
const t = useTestDocker();

interface Made {
  readonly id: string;
  readonly name: string;
}

/** Created, never started, labelled with the test run so it is removed after each test. */
async function create(name?: string): Promise<Made> {
  const client = clientOf(t.docker);
  const container = await client.createContainer({
    Image: serviceEnv().imageBusybox,
    Cmd: ['true'],
    Labels: t.labels,
    ...(name !== undefined && { name }),
  });
  const info = await container.inspect();
  return { id: info.Id, name: info.Name.replace(/^\//, '') };
}

/**
 * Runs `body` with a connection made through a request log, and returns the engine requests
 * `body` made (whichever client made them; the connection's own ping is left out).
 */
async function engineRequests(
  body: (docker: DockerConnection) => Promise<void>,
): Promise<string[]> {
  const log = await startEngineRequestLog(new URL(t.docker.endpoint).pathname);
  try {
    const docker = (await connectDocker({ host: log.endpoint }))._unsafeUnwrap();
    log.requests.length = 0;
    await body(docker);
    return [...log.requests];
  } finally {
    await log.close();
  }
}

/** The shortest prefix of `id` that no other container on the engine shares. */
async function shortestUniquePrefix(id: string): Promise<number> {
  const all = await clientOf(t.docker).listContainers({ all: true });
  const others = all.map((c) => c.Id).filter((other) => other !== id);
  let length = 1;
  while (others.some((other) => other.startsWith(id.slice(0, length)))) length++;
  return length;
}

/**
 * The containers every test resolves against:
 * - `plain`, named; `other`, with a generated name, for its short id and a short unique prefix;
 * - `twins`, two of ours whose ids share the first character (created until that holds:
 *   17 containers always do, there being 16 hex digits);
 * - `shortIdName`, named like `plain`'s short id, and `fullIdName`, named like its full id.
 */
async function fixture() {
  const plain = await create(t.name('resolve'));
  const other = await create();
  const ours = [plain, other];
  let twins: [Made, Made] | undefined;
  while (!twins) {
    if (ours.length > 17) throw new Error('17 ids without a shared first character');
    const next = await create();
    const twin = ours.find((c) => c.id[0] === next.id[0]);
    if (twin) twins = [twin, next];
    ours.push(next);
  }
  const shortIdName = await create(plain.id.slice(0, 12));
  const fullIdName = await create(plain.id);
  // At least 5 characters, so that containers other tests create meanwhile do not share it.
  const uniquePrefix = other.id.slice(0, Math.max(5, await shortestUniquePrefix(other.id)));
  return { plain, other, twins, shortIdName, fullIdName, uniquePrefix, ours };
}

const MALFORMED = ['', ' ', ' web', 'web ', 'bad name!', '-dash', 'x', '//web', 'web/db', '/'];

async function cliName(ref: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('docker', [
      ...['inspect', '--type', 'container', '--format', '{{.Name}}', ref],
    ]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

describe('resolveContainerName', () => {
  it('answers each form of reference the way the engine looks it up', async () => {
    const f = await fixture();
    const name = (ref: string) => resolveContainerName(t.docker, ref);

    expect((await name(f.plain.id))._unsafeUnwrap()).toBe(f.plain.name);
    expect((await name(f.other.id.slice(0, 12)))._unsafeUnwrap()).toBe(f.other.name);
    expect((await name(f.uniquePrefix))._unsafeUnwrap()).toBe(f.other.name);
    expect((await name(f.plain.name))._unsafeUnwrap()).toBe(f.plain.name);
    expect((await name(`/${f.plain.name}`))._unsafeUnwrap()).toBe(f.plain.name);
    // A name wins over an id prefix; a full id wins over a name.
    expect((await name(f.plain.id.slice(0, 12)))._unsafeUnwrap()).toBe(f.shortIdName.name);
    expect((await name(f.shortIdName.name))._unsafeUnwrap()).toBe(f.shortIdName.name);
    expect((await name(f.fullIdName.id))._unsafeUnwrap()).toBe(f.fullIdName.name);
    // The engine drops the slash before looking up, so this is the full id again.
    expect((await name(`/${f.plain.id}`))._unsafeUnwrap()).toBe(f.plain.name);
  });

  it("writes Docker's raw /name only when asked", async () => {
    const f = await fixture();
    const slashed = await resolveContainerName(t.docker, f.other.id.slice(0, 12), {
      leadingSlash: true,
    });
    expect(slashed._unsafeUnwrap()).toBe(`/${f.other.name}`);
    const batch = await resolveContainerNames(t.docker, [f.plain.name], { leadingSlash: true });
    expect(batch._unsafeUnwrap().answers[0]?.name).toBe(`/${f.plain.name}`);
  });

  it('agrees with docker inspect --format {{.Name}} on every reference it resolves', async () => {
    const f = await fixture();
    const refs = [
      f.plain.id,
      f.other.id.slice(0, 12),
      f.uniquePrefix,
      f.plain.name,
      `/${f.plain.name}`,
      f.plain.id.slice(0, 12),
      `/${f.plain.id}`,
      f.fullIdName.name,
      f.twins[0].id[0] ?? '',
      t.name('missing'),
    ];
    for (const ref of refs) {
      const ours = await resolveContainerName(t.docker, ref, { leadingSlash: true });
      expect({ ref, answer: ours.unwrapOr(undefined) }).toEqual({
        ref,
        answer: await cliName(ref),
      });
    }
  });

  it('says which containers an ambiguous id prefix matches', async () => {
    const f = await fixture();
    const prefix = f.twins[0].id[0] ?? '';
    const error = (await resolveContainerName(t.docker, prefix))._unsafeUnwrapErr();
    if (!hasKind(error, 'Ambiguous')) throw new Error(`expected Ambiguous, got ${error.message}`);
    expect(error.ref).toBe(prefix);
    expect(error.matches).toEqual(
      expect.arrayContaining(f.twins.map((c) => ({ id: c.id, name: c.name }))),
    );
    expect(error.matches.every((m) => m.id.startsWith(prefix))).toBe(true);
  });

  it('fails with NotFound for a name or id prefix nothing has', async () => {
    await fixture();
    const missing = t.name('missing');
    expect((await resolveContainerName(t.docker, missing))._unsafeUnwrapErr()).toMatchObject({
      kind: 'NotFound',
      resource: 'container',
      ref: missing,
    });
    expect((await resolveContainerName(t.docker, `/${missing}`))._unsafeUnwrapErr()).toMatchObject({
      kind: 'NotFound',
      ref: `/${missing}`,
    });
  });

  it.each(MALFORMED)(
    'refuses the malformed reference %j without asking the engine',
    async (ref) => {
      const requests = await engineRequests(async (docker) => {
        const single = await resolveContainerName(docker, ref);
        expect(single._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'ref' });
        const batch = await resolveContainerNames(docker, [ref]);
        expect(asResults(batch._unsafeUnwrap())).toEqual([single]);
      });
      expect(requests).toEqual([]);
    },
  );

  it('stops when the caller aborts', async () => {
    const f = await fixture();
    const signal = AbortSignal.abort();
    const single = await resolveContainerName(t.docker, f.plain.name, { signal });
    expect(single._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
    const batch = await resolveContainerNames(t.docker, [f.plain.name], { signal });
    expect(batch._unsafeUnwrapErr()).toMatchObject({ kind: 'Aborted' });
    const timeout = await resolveContainerName(t.docker, f.plain.name, { timeoutMs: 0 });
    expect(timeout._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field: 'timeoutMs' });
  });
});

describe('resolveContainerNames', () => {
  it('answers in input order, one Result per ref, with one listing request', async () => {
    const f = await fixture();
    const missing = t.name('missing');
    const refs = [
      f.plain.id,
      f.other.id.slice(0, 12),
      f.uniquePrefix,
      f.twins[0].id[0] ?? '',
      f.plain.name,
      `/${f.plain.name}`,
      missing,
      '',
      'bad name!',
      f.plain.id.slice(0, 12),
      f.fullIdName.id,
      `/${f.plain.id}`,
      f.plain.id,
      f.plain.name,
    ];
    let answers: Awaited<ReturnType<typeof resolveContainerNames>> | undefined;
    const requests = await engineRequests(async (docker) => {
      answers = await resolveContainerNames(docker, refs);
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^GET \/v[\d.]+\/containers\/json\?all=1$/);

    const batch = answers?._unsafeUnwrap().answers ?? [];
    const values = batch.map((a) => a.name ?? a.error.kind);
    expect(batch.map((a) => a.ref)).toEqual(refs);
    expect(batch[0]?.id).toBe(f.plain.id);
    expect(values).toEqual([
      f.plain.name,
      f.other.name,
      f.other.name,
      'Ambiguous',
      f.plain.name,
      f.plain.name,
      'NotFound',
      'InvalidInput',
      'InvalidInput',
      f.shortIdName.name,
      f.fullIdName.name,
      f.plain.name,
      f.plain.name,
      f.plain.name,
    ]);
  });

  it('makes no request for an empty list, and refuses a list that is not an array', async () => {
    const requests = await engineRequests(async (docker) => {
      expect((await resolveContainerNames(docker, []))._unsafeUnwrap()).toEqual({ answers: [] });
    });
    expect(requests).toEqual([]);
    const notArray = 'web' as unknown as string[];
    expect((await resolveContainerNames(t.docker, notArray))._unsafeUnwrapErr()).toMatchObject({
      kind: 'InvalidInput',
      field: 'refs',
    });
  });

  it('gives, for any mix of refs, exactly the answers the single form gives', async () => {
    const f = await fixture();
    const ids = [...f.ours, f.shortIdName, f.fullIdName].map((c) => c.id);
    const names = [...f.ours, f.shortIdName, f.fullIdName].map((c) => c.name);
    const ref = fc.oneof(
      fc
        .record({ id: fc.constantFrom(...ids), length: fc.integer({ min: 1, max: 64 }) })
        .map(({ id, length }) => id.slice(0, length)),
      fc.constantFrom(...names),
      fc.constantFrom(...names, ...ids).map((n) => `/${n}`),
      fc.constantFrom(...MALFORMED, t.name('missing')),
      fc.string({ maxLength: 6 }),
    );
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ref, { minLength: 1, maxLength: 12 }), async (refs) => {
        const before = asResults((await resolveContainerNames(t.docker, refs))._unsafeUnwrap());
        const singles = [];
        for (const r of refs) singles.push(await resolveContainerName(t.docker, r));
        const after = asResults((await resolveContainerNames(t.docker, refs))._unsafeUnwrap());
        // Other test files create and remove containers on this engine too: compare only
        // when nothing that matters changed while the single answers were taken.
        fc.pre(isDeepStrictEqual(before, after));
        compared++;
        expect(singles).toEqual(before);
      }),
      { numRuns: 25 },
    );
    expect(compared).toBeGreaterThan(10);
  });
});

describe('resolveContainerId', () => {
  it('gives the full id for a name, a slashed name or a prefix, with the same errors', async () => {
    const f = await fixture();
    expect((await resolveContainerId(t.docker, f.plain.name))._unsafeUnwrap()).toBe(f.plain.id);
    expect((await resolveContainerId(t.docker, `/${f.plain.name}`))._unsafeUnwrap()).toBe(
      f.plain.id,
    );
    expect((await resolveContainerId(t.docker, f.uniquePrefix))._unsafeUnwrap()).toBe(f.other.id);
    const missing = t.name('missing');
    expect((await resolveContainerId(t.docker, missing))._unsafeUnwrapErr()).toMatchObject({
      kind: 'NotFound',
      ref: missing,
    });
    expect(
      (await resolveContainerId(t.docker, f.twins[0].id[0] ?? ''))._unsafeUnwrapErr(),
    ).toMatchObject({ kind: 'Ambiguous' });
    // Round trip: name → id → name.
    const name = await resolveContainerId(t.docker, f.other.name).andThen((id) =>
      resolveContainerName(t.docker, id),
    );
    expect(name._unsafeUnwrap()).toBe(f.other.name);
  });
});
