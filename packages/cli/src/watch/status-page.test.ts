/// <reference lib="dom" />
// The daemon's HTTP side against a real fleet: two watchers on the real etcd and git server,
// /healthz and /metrics over HTTP, and the status page in headless Chromium.
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  announceRevision,
  connectEtcd,
  directoryTarget,
  listNodeStatuses,
  openGitSource,
  readAnnouncement,
  watchAndPull,
  type EtcdConnection,
  type WatchHandle,
} from '@berth/core';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures, type BareRepo } from '../../../../test/support/git';
import { serviceEnv } from '../../../../test/support/services';
import { startDaemonHttp, type DaemonHttp } from './http-server';
import { createWatchMetrics } from './metrics';

const fixtures = useGitFixtures();
const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../../../test-results');

describe('berth watch over HTTP', () => {
  let etcd: EtcdConnection;
  let watchers: WatchHandle[] = [];
  let http: DaemonHttp;
  let commit = '';
  let repo: BareRepo;
  const key = `berth-test/status-page/${Date.now().toString(36)}`;

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    repo = await fixtures.repo('status-page');
    commit = await commitFiles(repo, { 'index.html': 'fleet\n' });
    (await announceRevision(etcd, key, { commit, by: 'test' }))._unsafeUnwrap();
    watchers = await Promise.all(
      ['edge-1', 'edge-2'].map(async (nodeId) => {
        const source = openGitSource({
          url: repo.url,
          cacheDir: await fixtures.dir(`berth-status-${nodeId}`),
        })._unsafeUnwrap();
        const target = directoryTarget(await fixtures.dir(`berth-status-www-${nodeId}`));
        const watcher = watchAndPull({
          etcd,
          key,
          source,
          nodeId,
          targets: [{ target }],
        })._unsafeUnwrap();
        (await watcher.ready)._unsafeUnwrap();
        return watcher;
      }),
    );
    const first = watchers[0] as WatchHandle;
    const metrics = createWatchMetrics({ node: 'edge-1', key });
    // Feed the metrics the way the daemon does.
    void (async () => {
      for await (const event of first.events) metrics.observe(event);
    })();
    http = await startDaemonHttp({
      listen: { host: '127.0.0.1', port: 0 },
      status: () => first.status(),
      metrics,
      title: `${key} · edge-1`,
      fleet: async () => {
        const [nodes, wanted] = await Promise.all([
          listNodeStatuses(etcd, key),
          readAnnouncement(etcd, key),
        ]);
        return {
          key,
          node: 'edge-1',
          generatedAt: new Date().toISOString(),
          wanted: wanted.isOk() ? wanted.value?.commit : undefined,
          nodes: nodes._unsafeUnwrap(),
        };
      },
    });
  });

  afterAll(async () => {
    await http?.close();
    for (const w of watchers) await w.stop();
    etcd?.close();
  });

  it('answers /healthz with 200 and the status once the node serves a commit', async () => {
    const response = await fetch(`${http.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ nodeId: 'edge-1', commit, healthy: true });
  });

  it('serves Prometheus metrics', async () => {
    (await watchers[0]?.syncNow())?._unsafeUnwrap();
    const text = await (await fetch(`${http.url}/metrics`)).text();
    expect(text).toMatch(/^berth_syncs_total\{result="synced",node="edge-1",key="[^"]+"\} [1-9]/m);
    expect(text).toContain('# TYPE berth_sync_duration_seconds histogram');
    expect(text).toContain('berth_reconnects_total');
    expect(text).toMatch(/^berth_last_success_timestamp_seconds\{[^}]*\} \d/m);
  });

  const launch = () =>
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  const rowsOf = (page: Page) =>
    page.$$eval('tr.node', (rows) =>
      rows.map((n) => ({
        node: (n as HTMLElement).dataset.node,
        text: n.textContent ?? '',
        cls: n.className,
      })),
    );

  it('renders the fleet on the server: the page shows every node with JavaScript off', async () => {
    expect(existsSync(CHROMIUM), 'Debian chromium (scripts/services installs it)').toBe(true);
    // The HTML as sent carries the table already.
    const html = await (await fetch(`${http.url}/`)).text();
    expect(html).toContain('data-node="edge-1"');
    expect(html).toContain('data-node="edge-2"');
    expect(html).toContain(`<code>${commit.slice(0, 12)}</code>`);
    const browser = await launch();
    try {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`${http.url}/`);
      const rows = await rowsOf(page);
      expect(rows.map((r) => r.node).sort()).toEqual(['edge-1', 'edge-2']);
      for (const row of rows) {
        expect(row.text).toContain(commit.slice(0, 12));
        expect(row.text).toContain('healthy');
        expect(row.text).toMatch(/\d+ ms/);
        expect(row.cls).toBe('node');
      }
      expect(await page.textContent('#summary')).toBe(`2 nodes · 2 serve ${commit.slice(0, 12)}`);
    } finally {
      await browser.close();
    }
  });

  it('shows every node on a phone-sized screen and follows a deploy live, without a reload', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${http.url}/`);
      const rows = await rowsOf(page);
      expect(rows.map((r) => r.node).sort()).toEqual(['edge-1', 'edge-2']);
      // Nothing wider than the phone's screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const file = join(SCREENSHOT_DIR, 'status-page.png');
      await page.screenshot({ path: file, fullPage: true });
      expect((await stat(file)).size).toBeGreaterThan(5_000);

      // A deploy: the page (never reloaded) shows both nodes on the new commit.
      const loads: string[] = [];
      page.on('load', () => loads.push(page.url()));
      const next = await commitFiles(repo, { 'index.html': 'fleet, again\n' });
      (await announceRevision(etcd, key, { commit: next, by: 'test' }))._unsafeUnwrap();
      await page.waitForFunction(
        (summary) => document.getElementById('summary')?.textContent === summary,
        `2 nodes · 2 serve ${next.slice(0, 12)}`,
        { timeout: 30_000 },
      );
      expect(loads).toEqual([]);
      commit = next;
    } finally {
      await browser.close();
    }
  });

  it('says the fleet is unavailable, instead of showing an empty fleet, when it cannot be read', async () => {
    const failing = await startDaemonHttp({
      listen: { host: '127.0.0.1', port: 0 },
      status: () => undefined,
      metrics: createWatchMetrics({ node: 'edge-x', key }),
      title: 'unreadable',
      fleet: () => Promise.reject(new Error('cannot list the fleet: etcd did not answer')),
    });
    try {
      const page = await (await fetch(`${failing.url}/`)).text();
      expect(page).toContain('status unavailable');
      expect(page).not.toContain('<tr class="node');
      const api = await fetch(`${failing.url}/api/fleet`);
      expect(api.status).toBe(503);
      expect(await api.json()).toEqual({ error: 'cannot list the fleet: etcd did not answer' });
    } finally {
      await failing.close();
    }
  });
});
