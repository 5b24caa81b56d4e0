// `berth deploy` (the built bin) against real etcd and real watcher nodes publishing into local
// directories: the announcement reaches them, --wait sees them converge, and lagging nodes exit 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd, type EtcdConnection } from '../packages/core/src/index';
import { berth, jsonOf } from '../packages/cli/test/run-bin';
import { commitFiles, useGitFixtures } from './support/git';
import { serviceEnv } from './support/services';
import { directoryNode, forgetKeys, uniqueKey, type DirectoryNode } from './support/watch-fixtures';

const fixtures = useGitFixtures();
let etcd: EtcdConnection;
const nodes: DirectoryNode[] = [];

beforeAll(async () => {
  etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
});

afterAll(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.dispose()));
  await forgetKeys(etcd);
  etcd.close();
});

async function fleet(name: string, count: number) {
  const repo = await fixtures.repo(name);
  const first = await commitFiles(repo, { 'index.html': 'one\n' });
  const second = await commitFiles(repo, { 'index.html': 'two\n' });
  const key = uniqueKey(name);
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      directoryNode({ url: repo.url, etcd, key, nodeId: `node-${i + 1}`, retry: { maxMs: 500 } }),
    ),
  );
  nodes.push(...started);
  return { key, first, second, nodes: started };
}

const deploy = (args: string[]) =>
  berth(['deploy', '--etcd-endpoints', serviceEnv().etcdEndpoint, ...args]);

describe('berth deploy', () => {
  it('announces a commit and, with --wait, prints which node serves what', async () => {
    const {
      key,
      first,
      second,
      nodes: [a, b],
    } = await fleet('cli-deploy', 2);

    const announced = await deploy(['--key', key, '--commit', first, '--json']);
    expect(announced.code).toBe(0);
    expect(jsonOf(announced)).toEqual({ key, commit: first, revision: expect.any(Number) });

    const waited = await deploy([
      '--key',
      key,
      '--commit',
      second,
      '--ref',
      'main',
      '--by',
      'jenkins#7',
      '--wait',
      '--min-nodes',
      '2',
      '--timeout',
      '60s',
      '--json',
    ]);
    expect(waited.code).toBe(0);
    const document = jsonOf(waited);
    expect(document).toMatchObject({
      key,
      commit: second,
      wait: { converged: true, minNodes: 2, timeoutMs: 60_000 },
    });
    expect((document.wait as { nodes: unknown[] }).nodes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 'node-1', commit: second, serving: true, healthy: true }),
        expect.objectContaining({ nodeId: 'node-2', commit: second, serving: true, healthy: true }),
      ]),
    );
    expect(await a!.served()).toBe(second);
    expect(await b!.served()).toBe(second);

    const human = await deploy(['--key', key, '--commit', second, '--wait']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`node-1\\s+${second.slice(0, 12)}\\s+yes\\s+yes`));
    expect(human.stdout).toContain(`all 2 live nodes serve ${second.slice(0, 12)}`);
    expect(human.stderr).toContain('waiting for the nodes');
  });

  it('--key /cdn/site and a node watching cdn/site are one key: the deploy converges', async () => {
    const { key, first } = await fleet('cli-deploy-slashes', 1);
    const waited = await deploy([
      ...['--key', `/${key}/`, '--commit', first],
      ...['--wait', '--timeout', '20s', '--json'],
    ]);
    expect(waited.code).toBe(0);
    expect(jsonOf(waited)).toMatchObject({
      key,
      commit: first,
      wait: { converged: true, nodes: [{ nodeId: 'node-1', commit: first, serving: true }] },
    });
  });

  it('exits 1 when nodes lag at the timeout, naming them and their last error', async () => {
    const { key, first } = await fleet('cli-deploy-lag', 1);
    expect(
      (await deploy(['--key', key, '--commit', first, '--wait', '--timeout', '60s'])).code,
    ).toBe(0);

    const unknown = 'f'.repeat(40);
    const lagging = await deploy([
      '--key',
      key,
      '--commit',
      unknown,
      '--wait',
      '--timeout',
      '3s',
      '--json',
    ]);
    expect(lagging.code).toBe(1);
    expect(jsonOf(lagging)).toMatchObject({
      commit: unknown,
      wait: {
        converged: false,
        nodes: [
          { nodeId: 'node-1', commit: first, serving: false, error: { kind: expect.any(String) } },
        ],
      },
    });
    expect(jsonOf(lagging)).not.toHaveProperty('error');

    const short = await deploy([
      '--key',
      key,
      '--commit',
      first,
      '--wait',
      '--min-nodes',
      '2',
      '--timeout',
      '2s',
    ]);
    expect(short.code).toBe(1);
    // One node, two required (under heavy load its lease may lapse for a moment: then 0 are live).
    expect(short.stdout).toMatch(/not converged within 2000 ms: .*[01] of 2 required nodes live/);
  });

  it('exits 3 when etcd does not answer, and 2 for a commit that is not a full SHA', async () => {
    const unreachable = await berth([
      'deploy',
      '--key',
      'berth-test/nowhere',
      '--commit',
      'a'.repeat(40),
      '--etcd-endpoints',
      'http://127.0.0.1:1',
      '--json',
    ]);
    expect(unreachable.code).toBe(3);
    expect(jsonOf(unreachable)).toMatchObject({ error: { kind: 'EtcdUnreachable' } });
    expect(unreachable.stderr).toMatch(/^EtcdUnreachable: /);

    const short = await deploy(['--key', 'berth-test/nowhere', '--commit', 'abc123']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('InvalidInput: commit must be a full commit SHA');
  });
});
