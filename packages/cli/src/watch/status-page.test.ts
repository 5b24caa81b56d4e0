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
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
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
  const key = `berth-test/status-page/${Date.now().toString(36)}`;

  beforeAll(async () => {
    etcd = (await connectEtcd({ endpoints: [serviceEnv().etcdEndpoint] }))._unsafeUnwrap();
    const repo = await fixtures.repo('status-page');
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

  it('shows every node of the fleet in a browser, on a phone-sized screen', async () => {
    expect(existsSync(CHROMIUM), 'Debian chromium (scripts/services installs it)').toBe(true);
    const browser = await chromium.launch({
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
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${http.url}/`);
      await page.waitForSelector('article.node[data-node="edge-2"]', { timeout: 15_000 });
      const cards = await page.$$eval('article.node', (nodes) =>
        nodes.map((n) => ({
          node: (n as HTMLElement).dataset.node,
          text: n.textContent ?? '',
          cls: n.className,
        })),
      );
      expect(cards.map((c) => c.node).sort()).toEqual(['edge-1', 'edge-2']);
      for (const card of cards) {
        expect(card.text).toContain(commit.slice(0, 12));
        expect(card.text).toContain('healthy');
        expect(card.text).toMatch(/propagation\d+ ms/);
        expect(card.cls).toBe('node');
      }
      expect(await page.textContent('#summary')).toBe(`2 nodes · 2 serve ${commit.slice(0, 12)}`);
      // Nothing wider than the phone's screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const file = join(SCREENSHOT_DIR, 'status-page.png');
      await page.screenshot({ path: file, fullPage: true });
      expect((await stat(file)).size).toBeGreaterThan(5_000);
    } finally {
      await browser.close();
    }
  });
});
