// The options every command that talks to a fleet through etcd spells the same way.
import type { Command } from 'commander';
import { collectEndpoints, parsePositiveInt } from './parsers';

/** `--etcd-endpoints`. */
export function etcdEndpointsOption(command: Command): Command {
  return command.option(
    '--etcd-endpoints <urls>',
    'comma-separated etcd endpoints (default ETCDCTL_ENDPOINTS, ETCD_ENDPOINTS, http://127.0.0.1:2379)',
    collectEndpoints,
  );
}

/** `--status-prefix` and `--etcd-endpoints`: where the watchers' statuses are read. */
export function fleetOptions(command: Command): Command {
  return etcdEndpointsOption(
    command.option(
      '--status-prefix <prefix>',
      "the watchers' status prefix (default berth/status/<key>/)",
    ),
  );
}

/** `--wait` and `--min-nodes`, for a command that announces a commit. */
export function waitOptions(command: Command, what: string): Command {
  return command
    .option(
      '--wait',
      `wait until every live node serves ${what} (bounded by --timeout, default 60s)`,
    )
    .option(
      '--min-nodes <n>',
      'live nodes needed before the fleet counts as converged (default 1)',
      parsePositiveInt,
    );
}
