import type { WatchEvent } from '@berth/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The daemon's Prometheus metrics, fed from the watcher's events. */
export interface WatchMetrics {
  readonly registry: Registry;
  observe(event: WatchEvent): void;
}

export function createWatchMetrics(labels: {
  readonly node: string;
  readonly key: string;
}): WatchMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  const syncs = new Counter({
    name: 'berth_syncs_total',
    help: 'Syncs by result: synced (published or already served), failed, skipped, invalid (an unusable key value).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'berth_sync_duration_seconds',
    help: 'From the announcement reaching this node to every target serving it.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const revision = new Gauge({
    name: 'berth_active_revision',
    help: 'The etcd revision of the announcement the node serves.',
    registers: [registry],
  });
  const reconnects = new Counter({
    name: 'berth_reconnects_total',
    help: 'Times the watch on etcd was re-established.',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'berth_last_success_timestamp_seconds',
    help: 'When the last sync succeeded (Unix time).',
    registers: [registry],
  });
  const healthy = new Gauge({
    name: 'berth_healthy',
    help: '1 while etcd answers, the last attempt did not fail and no after-swap hook is failing.',
    registers: [registry],
  });
  const hookFailures = new Counter({
    name: 'berth_hook_failures_total',
    help: 'Failed runs of an after-swap hook (e.g. the nginx reload); each is retried until it succeeds.',
    labelNames: ['hook'] as const,
    registers: [registry],
  });
  const hookFailing = new Gauge({
    name: 'berth_hook_failing',
    help: '1 while an after-swap hook has failed and not yet succeeded (the node is unhealthy).',
    registers: [registry],
  });
  hookFailures.labels('afterActivate').inc(0);
  hookFailing.set(0);
  // Every result starts at zero, so a rate() works before the first failure.
  for (const result of ['synced', 'failed', 'skipped', 'invalid']) syncs.labels(result).inc(0);

  return {
    registry,
    observe: (event) => {
      switch (event.type) {
        case 'synced':
          syncs.labels('synced').inc();
          duration.observe(event.timings.totalMs / 1000);
          revision.set(event.revision);
          lastSuccess.set(Date.now() / 1000);
          return;
        case 'failed':
          syncs.labels('failed').inc();
          return;
        case 'skipped':
          syncs.labels('skipped').inc();
          return;
        case 'invalid-value':
          syncs.labels('invalid').inc();
          return;
        case 'reconnected':
          reconnects.inc();
          return;
        case 'hook-failed':
          hookFailures.labels(event.hook).inc();
          hookFailing.set(1);
          return;
        case 'hook-recovered':
          hookFailing.set(0);
          return;
        case 'health':
          healthy.set(event.healthy ? 1 : 0);
          return;
        default:
          return;
      }
    },
  };
}
