// `berth status` in-process against real etcd and real watcher nodes publishing into local
// directories: the table and --json say what each node serves, since when, healthy or not.
import { announceRevision, connectEtcd, type EtcdConnection } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import {
  directoryNode,
  forgetKeys,
  uniqueKey,
  until,
  type DirectoryNode,
} from '../../../../test/support/watch-fixtures';
import { captureIo } from '../../test/capture-io';
import { ExitCode, run } from '../program';
import { statusReport } from './status';

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

async function berth(argv: string[]) {
  const captured = captureIo({ env: { BERTH_ETCD_ENDPOINTS: serviceEnv().etcdEndpoint } });
  const code = await run(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

interface Row {
  nodeId: string;
  commit: string | null;
  current: boolean;
  since: string | null;
  healthy: boolean;
  error: { kind: string; message: string } | null;
  propagationMs: number | null;
  path: string | null;
}

async function statusJson(key: string) {
  const result = await berth(['status', '--key', key, '--json']);
  const document = JSON.parse(result.stdout) as {
    announced: { commit: string } | null;
    nodes: Row[];
  };
  return { code: result.code, document };
}

describe('berth status', () => {
  it('shows each node, its commit, since when, healthy, its propagation time and its last error', async () => {
    const repo = await fixtures.repo('cli-status');
    const first = await commitFiles(repo, { 'index.html': 'one\n' });
    const key = uniqueKey('cli-status');
    const started = await Promise.all(
      ['node-1', 'node-2'].map((nodeId) =>
        directoryNode({ url: repo.url, etcd, key, nodeId, retry: { maxMs: 500 } }),
      ),
    );
    nodes.push(...started);

    (await announceRevision(etcd, key, { commit: first, by: 'test#1' }))._unsafeUnwrap();
    await until('both nodes serve the first commit', async () => {
      const { document } = await statusJson(key);
      return document.nodes.length === 2 && document.nodes.every((n) => n.current);
    });

    const converged = await statusJson(key);
    expect(converged.code).toBe(ExitCode.ok);
    expect(converged.document.announced).toMatchObject({ commit: first, by: 'test#1' });
    for (const node of converged.document.nodes) {
      expect(node).toMatchObject({
        commit: first,
        current: true,
        healthy: true,
        error: null,
        path: 'origin',
        state: 'active',
        waitingFor: null,
      });
      expect(node).toHaveProperty('diskUsage');
      expect(Date.parse(node.since ?? '')).not.toBeNaN();
      expect(node.propagationMs).toEqual(expect.any(Number));
    }

    const human = await berth(['status', '--key', key]);
    expect(human.code).toBe(ExitCode.ok);
    expect(human.stdout).toContain(`${key} announces ${first} (by test#1)`);
    expect(human.stdout).toMatch(
      /NODE\s+COMMIT\s+SINCE\s+HEALTHY\s+PATH\s+PROPAGATION\s+DISK\s+LAST ERROR/,
    );
    expect(human.stdout).toMatch(
      new RegExp(`node-1\\s+${first.slice(0, 12)}\\s+\\S+\\s+yes\\s+origin\\s+\\d+ ms`),
    );
    expect(human.stdout).toContain(`2 live nodes, all serving ${first.slice(0, 12)}`);
    expect(await berth(['status', '--key', key, '-q'])).toMatchObject({
      code: ExitCode.ok,
      stdout: 'node-1\nnode-2\n',
      stderr: '',
    });

    // A commit the repository does not have: the nodes keep serving the first and say why.
    const unknown = 'f'.repeat(40);
    (await announceRevision(etcd, key, { commit: unknown }))._unsafeUnwrap();
    await until('the nodes report the failure', async () => {
      const { document } = await statusJson(key);
      return document.nodes.length === 2 && document.nodes.every((n) => n.error !== null);
    });
    const lagging = await statusJson(key);
    expect(lagging.code).toBe(ExitCode.findings);
    for (const node of lagging.document.nodes) {
      expect(node).toMatchObject({ commit: first, current: false, healthy: false });
      expect(node.error?.kind).toEqual(expect.any(String));
    }
    const table = await berth(['status', '--key', key]);
    expect(table.code).toBe(ExitCode.findings);
    expect(table.stdout).toMatch(
      new RegExp(`node-2\\s+${first.slice(0, 12)} LAGGING\\s+\\S+\\s+no`),
    );
    expect(table.stdout).toContain('2 of 2 live nodes unhealthy or lagging');
  });

  it('says when nothing is announced and no node is live, and exits 0', async () => {
    const key = uniqueKey('cli-status-empty');
    const result = await berth(['status', '--key', key]);
    expect(result).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(result.stdout).toBe(`${key} announces nothing\nno live node reported a status\n`);
    const json = await statusJson(key);
    expect(json.document).toEqual({ key, announced: null, announcedRevision: null, nodes: [] });
  });

  it('exits 3 naming the endpoints when etcd does not answer', async () => {
    const captured = captureIo({ env: {} });
    const code = await run(
      ['status', '--key', 'k', '--etcd-endpoints', 'http://127.0.0.1:1'],
      captured.io,
    );
    expect(code).toBe(ExitCode.failure);
    expect(captured.stderr()).toMatch(
      /^EtcdUnreachable: no etcd member answered at http:\/\/127\.0\.0\.1:1/,
    );
  });
});

describe('statusReport (the table and the document, from statuses)', () => {
  const at = '2026-12-06T10:00:00.000Z';
  const base = { revision: 7, ok: true, healthy: true, error: undefined, updatedAt: at };
  it('shows a waiting node as waiting, not as an error, and the disk a node measured', () => {
    const report = statusReport({
      key: 'cdn/site',
      announced: { revision: 'a'.repeat(40), commit: 'a'.repeat(40), form: 'json' },
      announcedRevision: 7,
      nodes: [
        {
          ...base,
          nodeId: 'edge-1',
          commit: 'a'.repeat(40),
          activeSince: at,
          diskUsage: {
            cacheBytes: 3_000_000,
            releasesBytes: 9_000_000,
            measuredAt: at,
          },
        },
        {
          ...base,
          nodeId: 'edge-2',
          commit: undefined,
          revision: undefined,
          ok: false,
          healthy: false,
          error: { kind: 'NotFound', message: 'no data container www-content' },
          waiting: { for: 'container', container: 'www-content', message: 'waiting', since: at },
          state: 'waiting',
        },
      ],
    });
    expect(report.text).toMatch(
      /edge-1\s+aaaaaaaaaaaa\s+\S+\s+yes\s+-\s+-\s+12\.0 MB \(cache 3\.0 MB\)/,
    );
    expect(report.text).toMatch(/edge-2\s+\(waiting for container www-content\)\s+-\s+no/);
    expect(report.text).not.toContain('NotFound');
    expect(report.document).toMatchObject({
      nodes: [
        { nodeId: 'edge-1', state: 'active', diskUsage: { cacheBytes: 3_000_000 } },
        { nodeId: 'edge-2', state: 'waiting', waitingFor: 'www-content', diskUsage: null },
      ],
    });
    // Waiting is not serving: the fleet is not converged.
    expect(report.problem).toBe(true);
  });
});
