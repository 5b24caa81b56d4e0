import { probeStorage, type StorageReport } from '@berth/probes';
import { Option, type Command } from 'commander';
import type { PullPolicy } from '@berth/core';
import type { CommandContext } from '../context';
import { collectLabel } from '../options/parsers';
import { findingsReport, type FailOn } from '../render/findings';
import { fields, table } from '../render/table';
import { examples, type Runner } from '../runner';
import { failOnOption } from './fail-on';

interface ProbeStorageOptions {
  readonly helperImage: string;
  readonly pull: PullPolicy;
  readonly driver?: string;
  readonly label?: Readonly<Record<string, string>>;
  readonly failOn: FailOn;
}

export function registerProbeStorage(group: Command, runner: Runner): void {
  group
    .command('storage')
    .summary("judge the engine's storage driver against its kernel")
    .description(
      "judge the engine's storage driver against its kernel: what is in use, what would work, what berth recommends",
    )
    .option(
      '--helper-image <image>',
      'an image with cat, run once (--network none) to read the kernel tables',
      'busybox',
    )
    .addOption(
      new Option('--pull <policy>', 'when to pull the helper image')
        .choices(['missing', 'always', 'never'])
        .default('missing'),
    )
    .option('--driver <name>', 'also judge this driver as if daemon.json asked for it')
    .option(
      '--label <key=value>',
      'an extra label for the helper container (repeatable)',
      collectLabel,
    )
    .addOption(failOnOption())
    .addHelpText(
      'after',
      examples([
        'berth probe storage',
        'berth probe storage --driver devicemapper --fail-on warn',
        'berth --docker-host ssh://ops@cdn-3 probe storage --helper-image registry.example.com/busybox:1 --json',
      ]),
    )
    .action((options: ProbeStorageOptions, command: Command) =>
      runner.execute(command, (context) => probe(context, options)),
    );
}

function probe(context: CommandContext, options: ProbeStorageOptions) {
  const deadline = context.deadline('probe storage');
  return context
    .docker()
    .andThen((docker) =>
      probeStorage(docker, {
        helperImage: options.helperImage,
        pull: options.pull,
        ...(options.driver !== undefined && { requestedDriver: options.driver }),
        ...(options.label && { labels: options.label }),
        ...(context.globals.timeoutMs !== undefined && { timeoutMs: context.globals.timeoutMs }),
        ...(deadline.signal && { signal: deadline.signal }),
      }),
    )
    .mapErr(deadline.explain)
    .map((report) => findingsReport(report, storageText(report), options.failOn));
}

function storageText(report: StorageReport): string {
  const { facts } = report;
  return [
    fields([
      [
        'engine',
        `${facts.engineVersion}${facts.operatingSystem ? ` on ${facts.operatingSystem}` : ''}`,
      ],
      ['kernel', facts.kernelVersion],
      ['driver', `${facts.driver} (data root ${facts.rootDir})`],
      ['recommended', `${report.recommendation.driver}: ${report.recommendation.reason}`],
    ]),
    '\n',
    table(
      ['driver', 'in use', 'usable', 'kernel', 'engine', 'why'],
      report.drivers.map((d) => [
        d.driver,
        d.inUse ? 'yes' : '',
        String(d.usable),
        d.kernel,
        d.engine,
        d.reason,
      ]),
    ),
    '\n',
  ].join('');
}
