import { hostname } from 'node:os';
import { errAsync, okAsync } from 'neverthrow';
import {
  connectDocker,
  connectEtcd,
  containerTarget,
  directoryTarget,
  listNodeStatuses,
  nginxConfigCheck,
  nginxReload,
  openGitSource,
  readAnnouncement,
  watchAndPull,
  type ActivationHook,
  type BerthError,
  type DockerConnection,
  type WatchHandle,
  type WatchStatus,
  type WatchTarget,
} from '@berth/core';
import { isListenFailure, startDaemonHttp, type DaemonHttp } from './http-server';
import { createWatchMetrics } from './metrics';
import type { TargetSpec } from './target-spec';

/** Everything `berth watch` was told, checked. */
export interface WatchDaemonConfig {
  readonly key: string;
  readonly repo: string;
  readonly repoUser?: string;
  readonly repoPassword?: string;
  readonly cacheDir?: string;
  readonly nodeId?: string;
  readonly etcdEndpoints?: readonly string[];
  readonly statusPrefix?: string;
  readonly statusTtlSeconds?: number;
  readonly targets: readonly TargetSpec[];
  /** Configuration targets get `nginx -t` before the swap and a confirmed reload after it. */
  readonly nginx?: string;
  readonly keep?: number;
  readonly debounce?: { readonly minMs: number; readonly maxMs: number };
  readonly retry?: {
    readonly initialMs?: number;
    readonly maxMs?: number;
    readonly maxFailures?: number;
  };
  readonly jitterMs?: number;
  /** The elected fetch (`watchAndPull`'s `sharedFetch`). */
  readonly sharedFetch?: true | { readonly waitMs: number };
  readonly http?: { readonly host: string; readonly port: number };
  readonly dockerHost?: string;
}

export interface DaemonIo {
  /** One JSON line per log record. */
  readonly log: (record: Record<string, unknown>) => void;
  /** Aborted on SIGTERM/SIGINT: the daemon stops cleanly. */
  readonly stop: AbortSignal;
  /** Subscribes to SIGHUP (sync now); answers the unsubscribe. */
  readonly onHangup: (sync: () => void) => () => void;
}

/** How the daemon ended: stopped by a signal (with the node's last status), or failed to start. */
export type DaemonResult =
  | { readonly ok: true; readonly nodeId: string; readonly status: WatchStatus }
  | { readonly ok: false; readonly error: { readonly kind: string; readonly message: string } };

function nginxAbsent(error: BerthError): boolean {
  return (
    (error.kind === 'NotFound' && error.resource === 'container') ||
    (error.kind === 'DockerApi' && (error.statusCode === 404 || error.statusCode === 409))
  );
}

function logger(io: DaemonIo) {
  const at = (level: string) => (obj: object, msg?: string) =>
    io.log({ level, time: new Date().toISOString(), ...obj, ...(msg && { msg }) });
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * `berth watch`: a CDN node until a signal stops it. SIGTERM/SIGINT stop it cleanly (never
 * during a swap; the status lease is released); SIGHUP syncs now. Answers the exit code.
 */
export async function runWatchDaemon(
  config: WatchDaemonConfig,
  io: DaemonIo,
): Promise<DaemonResult> {
  const log = logger(io);
  const etcd = await connectEtcd(config.etcdEndpoints ? { endpoints: config.etcdEndpoints } : {});
  if (etcd.isErr()) return { ok: false, error: etcd.error };
  let docker: DockerConnection | undefined;
  if (config.targets.some((t) => t.kind === 'container')) {
    const connected = await connectDocker(config.dockerHost ? { host: config.dockerHost } : {});
    if (connected.isErr()) {
      etcd.value.close();
      return { ok: false, error: connected.error };
    }
    docker = connected.value;
  }
  const credentials =
    config.repoUser !== undefined
      ? { username: config.repoUser, password: config.repoPassword ?? '' }
      : undefined;
  const source = openGitSource({
    url: config.repo,
    ...(config.cacheDir && { cacheDir: config.cacheDir }),
    ...(credentials && { auth: () => credentials }),
    logger: log,
  });
  if (source.isErr()) {
    etcd.value.close();
    return { ok: false, error: source.error };
  }
  const hooks = config.nginx && docker ? { docker, container: config.nginx } : undefined;
  // nginx not created or not running (yet): nothing serves, so there is nothing to check against
  // or reload; it reads current/ when it starts. So the node comes up in any start order.
  const unlessNginxAbsent =
    (hook: ActivationHook, what: string): ActivationHook =>
    (context) =>
      hook(context).orElse((error) => {
        if (!nginxAbsent(error)) return errAsync(error);
        log.warn(
          { event: 'nginx-absent', container: config.nginx, commit: context.commit },
          `nginx container ${config.nginx ?? ''} is not running: ${what} skipped (${error.message})`,
        );
        return okAsync(undefined);
      });
  const targets: WatchTarget[] = config.targets.map((spec) => {
    const target =
      spec.kind === 'container' && docker
        ? containerTarget(docker, { container: spec.container, path: spec.path })
        : directoryTarget(spec.path);
    const configuration = spec.role === 'configuration';
    return {
      target,
      subdir: spec.subdir,
      role: spec.role,
      mountPath: spec.path,
      ...(config.keep !== undefined && { keep: config.keep }),
      ...(configuration &&
        hooks && {
          beforeActivate: unlessNginxAbsent(nginxConfigCheck(hooks), 'nginx -t'),
          afterActivate: unlessNginxAbsent(nginxReload(hooks), 'reload'),
        }),
    };
  });

  const nodeId = config.nodeId ?? hostname();
  const metrics = createWatchMetrics({ node: nodeId, key: config.key });
  const live: { watcher?: WatchHandle } = {};
  let http: DaemonHttp | undefined;
  if (config.http) {
    // Bound before the watcher starts: a node without its health endpoint does not run at all.
    const listening = await startDaemonHttp({
      listen: config.http,
      status: () => live.watcher?.status(),
      metrics,
      title: `${config.key} · ${nodeId}`,
      fleet: async () => {
        const [nodes, wanted] = await Promise.all([
          listNodeStatuses(
            etcd.value,
            config.key,
            config.statusPrefix ? { statusPrefix: config.statusPrefix } : {},
          ),
          readAnnouncement(etcd.value, config.key),
        ]);
        // A fleet that could not be read is not an empty fleet: the page says it is unavailable.
        if (nodes.isErr()) throw new Error(`cannot list the fleet: ${nodes.error.message}`);
        if (wanted.isErr()) throw new Error(`cannot read ${config.key}: ${wanted.error.message}`);
        return {
          key: config.key,
          node: nodeId,
          generatedAt: new Date().toISOString(),
          wanted: wanted.value?.commit,
          nodes: nodes.value,
        };
      },
    }).catch((error: unknown) => {
      if (isListenFailure(error)) return error;
      throw error;
    });
    if (isListenFailure(listening)) {
      etcd.value.close();
      for (const t of targets) void (await t.target.close());
      return { ok: false, error: { kind: listening.kind, message: listening.message } };
    }
    http = listening;
    log.info({ url: http.url }, `status page, /healthz and /metrics at ${http.url}`);
  }

  const started = watchAndPull({
    etcd: etcd.value,
    key: config.key,
    source: source.value,
    targets,
    nodeId,
    logger: log,
    ...(config.statusPrefix && { statusPrefix: config.statusPrefix }),
    ...(config.statusTtlSeconds && { statusTtlSeconds: config.statusTtlSeconds }),
    ...(config.debounce && { debounce: config.debounce }),
    ...(config.retry && { retry: config.retry }),
    ...(config.jitterMs !== undefined && { jitterMs: config.jitterMs }),
    ...(config.sharedFetch !== undefined && { sharedFetch: config.sharedFetch }),
  });
  if (started.isErr()) {
    await http?.close();
    etcd.value.close();
    return { ok: false, error: started.error };
  }
  const running: WatchHandle = started.value;
  live.watcher = running;
  void (async () => {
    for await (const event of running.events) {
      metrics.observe(event);
      // The watcher logs each event itself, once (records with an `event` field). The daemon
      // adds one thing: a node still waiting for its container says so again every tenth look.
      if (event.type === 'waiting' && event.attempt > 1 && event.attempt % 10 === 0)
        log.warn(
          { event: event.type, container: event.container, attempt: event.attempt },
          event.message,
        );
    }
  })();

  const release = io.onHangup(() => {
    log.info({}, 'SIGHUP: syncing now');
    void running.syncNow();
  });
  await new Promise<void>((resolve) => {
    if (io.stop.aborted) resolve();
    else io.stop.addEventListener('abort', () => resolve(), { once: true });
  });
  release();
  log.info({}, 'stopping: the publish in flight finishes first');
  await running.stop();
  await http?.close();
  for (const t of targets) void (await t.target.close());
  const status = running.status();
  etcd.value.close();
  log.info({}, 'stopped');
  return { ok: true, nodeId, status };
}
