import { normalizeKey } from '@berth/core';
import { Option, type Command } from 'commander';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import { usageFailure, type CliFailure } from '../failure';
import { etcdEndpointsOption } from '../options/fleet-options';
import { collect, parseDuration, parsePositiveInt } from '../options/parsers';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';
import { runWatchDaemon, type WatchDaemonConfig } from '../watch/daemon';
import { parseTargetSpec, type TargetSpec } from '../watch/target-spec';

interface WatchOptions {
  readonly key: string;
  readonly repo: string;
  readonly gitUser?: string;
  /** `--repo-user`, the old spelling of `--git-user`. */
  readonly repoUser?: string;
  readonly cacheDir?: string;
  readonly nodeId?: string;
  readonly etcdEndpoints?: readonly string[];
  readonly statusPrefix?: string;
  readonly statusTtl?: number;
  readonly target: readonly string[];
  readonly config: readonly string[];
  readonly nginx?: string;
  readonly keep?: number;
  readonly debounce?: string;
  readonly retryInitial?: number;
  readonly retryMax?: number;
  readonly maxFailures?: number;
  readonly jitter?: number;
  readonly http?: string;
  readonly sharedFetch?: boolean;
  readonly sharedFetchWait?: number;
}

export function registerWatch(program: Command, runner: Runner): void {
  const command = program
    .command('watch')
    .summary('run a CDN node: follow an etcd key and publish the commit it names')
    .description(
      'watchAndPull as a daemon: publishes the commit the key names into the targets, keeps the node status under the status prefix, serves /healthz, /metrics and the fleet status page; SIGTERM stops it cleanly, SIGHUP syncs now',
    )
    .requiredOption(
      '--key <key>',
      'the etcd key whose value says what to serve (/cdn/site and cdn/site are one key)',
    )
    .requiredOption(
      '--repo <url>',
      'the git repository: http(s)://, ssh://[user@]host[:port]/path or user@host:path',
    )
    .option(
      '--git-user <user>',
      'user for the repository; the password comes from BERTH_GIT_PASSWORD',
    )
    .addOption(new Option('--repo-user <user>', 'deprecated: --git-user').hideHelp())
    .option(
      '--target <spec>',
      'SUBDIR=container:NAME:/PATH or SUBDIR=dir:/PATH (repeatable)',
      collect,
      [],
    )
    .option(
      '--config <subdir>',
      'a configuration folder: activated first, checked and reloaded with --nginx (repeatable)',
      collect,
      [],
    )
    .option(
      '--nginx <container>',
      'the nginx container: nginx -t before, a confirmed reload after each configuration swap',
    )
    .option('--node-id <id>', 'this node in the fleet (default the host name)');
  etcdEndpointsOption(command)
    .option(
      '--status-prefix <prefix>',
      'where nodes write their status (default berth/status/<key>/)',
    )
    .option(
      '--status-ttl <seconds>',
      'the status lease: a dead node drops out after this (default 10)',
      parsePositiveInt,
    )
    .option('--keep <n>', 'releases kept per target (default 5)', parsePositiveInt)
    .option(
      '--debounce <min:max>',
      'wait for MIN of quiet after a change, at most MAX (e.g. 50ms:2s)',
    )
    .option(
      '--retry-initial <duration>',
      'first retry delay of a failed publish (default 200ms)',
      parseDuration,
    )
    .option('--retry-max <duration>', 'longest retry delay (default 30s)', parseDuration)
    .option(
      '--max-failures <n>',
      'give an announcement up after this many failures, until a newer one',
      parsePositiveInt,
    )
    .option(
      '--jitter <duration>',
      'a random wait before each publish, to spread a fleet (default 0)',
      parseDuration,
    )
    .option(
      '--http <host:port>',
      'serve /healthz, /metrics and the status page (bind to 127.0.0.1)',
    )
    .option('--cache-dir <dir>', 'where fetched git objects are kept')
    .option(
      '--shared-fetch',
      'one node of the fleet (elected through etcd) fetches a commit that came without a carried change and shares it; the others apply it',
    )
    .option(
      '--shared-fetch-wait <duration>',
      "how long a node waits for the elected node's change before it fetches itself (default 30s; implies --shared-fetch)",
      parseDuration,
    )
    .addHelpText(
      'after',
      examples([
        'berth watch --key cdn/site --repo https://git.example.com/site.git --target site/=container:www-content:/www --target nginx/=container:www-content:/etc/nginx --config nginx/ --nginx www --http 127.0.0.1:9100',
        'berth watch --key cdn/site --repo https://git.example.com/site.git --target site/=dir:/www   # inside a container with --volumes-from www-content',
      ]) + '\n\nLogs are JSON lines on stderr. See docs/operations.md.',
    )
    .action((options: WatchOptions, command: Command) =>
      runner.execute(command, (context) => watch(context, options)),
    );
}

function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  return match?.[1] && port > 0 && port < 65536
    ? { host: match[1].replace(/^\[|\]$/g, ''), port }
    : undefined;
}

function parseDebounce(text: string): { minMs: number; maxMs: number } | undefined {
  const [min, max] = text.split(':');
  if (!min || !max) return undefined;
  try {
    return { minMs: parseDuration(min), maxMs: parseDuration(max) };
  } catch {
    return undefined;
  }
}

function checkOptions(
  context: CommandContext,
  options: WatchOptions,
): WatchDaemonConfig | CliFailure {
  const targets: TargetSpec[] = [];
  for (const text of options.target) {
    const spec = parseTargetSpec(text, options.config);
    if (spec.isErr()) return usageFailure(spec.error, 'target');
    targets.push(spec.value);
  }
  if (targets.length === 0) return usageFailure('give at least one --target', 'target');
  const http = options.http === undefined ? undefined : parseListen(options.http);
  if (options.http !== undefined && !http)
    return usageFailure(`--http "${options.http}": expected HOST:PORT`, 'http');
  const debounce = options.debounce === undefined ? undefined : parseDebounce(options.debounce);
  if (options.debounce !== undefined && !debounce)
    return usageFailure(`--debounce "${options.debounce}": expected MIN:MAX`, 'debounce');
  const key = normalizeKey(options.key);
  if (key.isErr()) return usageFailure(key.error.message, 'key');
  const password = context.io.env.BERTH_GIT_PASSWORD;
  // The hidden old spelling only ever comes from argv: it wins over BERTH_GIT_USER.
  const gitUser = options.repoUser ?? options.gitUser;
  return {
    key: key.value,
    repo: options.repo,
    targets,
    ...(gitUser !== undefined && {
      repoUser: gitUser,
      repoPassword: password ?? '',
    }),
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
    ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
    ...(options.etcdEndpoints !== undefined && { etcdEndpoints: options.etcdEndpoints }),
    ...(options.statusPrefix !== undefined && { statusPrefix: options.statusPrefix }),
    ...(options.statusTtl !== undefined && { statusTtlSeconds: options.statusTtl }),
    ...(options.nginx !== undefined && { nginx: options.nginx }),
    ...(options.keep !== undefined && { keep: options.keep }),
    ...(debounce && { debounce }),
    ...((options.retryInitial !== undefined ||
      options.retryMax !== undefined ||
      options.maxFailures !== undefined) && {
      retry: {
        ...(options.retryInitial !== undefined && { initialMs: options.retryInitial }),
        ...(options.retryMax !== undefined && { maxMs: options.retryMax }),
        ...(options.maxFailures !== undefined && { maxFailures: options.maxFailures }),
      },
    }),
    ...(options.jitter !== undefined && { jitterMs: options.jitter }),
    ...((options.sharedFetch === true || options.sharedFetchWait !== undefined) && {
      sharedFetch:
        options.sharedFetchWait === undefined ? true : { waitMs: options.sharedFetchWait },
    }),
    ...(http && { http }),
    ...(context.globals.dockerHost !== undefined && { dockerHost: context.globals.dockerHost }),
  };
}

function watch(context: CommandContext, options: WatchOptions): ResultAsync<Report, CliFailure> {
  const config = checkOptions(context, options);
  if ('kind' in config) return errAsync(config);
  const stop = context.io.signal ?? new AbortController().signal;
  const running = runWatchDaemon(config, {
    log: (record) => context.io.stderr(`${JSON.stringify(record)}\n`),
    stop,
    onHangup: (sync) => {
      process.on('SIGHUP', sync);
      return () => process.off('SIGHUP', sync);
    },
  });
  return ResultAsync.fromSafePromise(running).andThen((result) =>
    result.ok
      ? okAsync<Report, CliFailure>({
          document: { stopped: true, nodeId: result.nodeId, status: result.status },
          text: `${result.nodeId} stopped; it served ${result.status.commit ?? 'nothing'}\n`,
        })
      : errAsync<Report, CliFailure>(result.error),
  );
}
