import { readFile } from 'node:fs/promises';
import {
  assessStorage,
  probeStorage,
  storageFactsFromDockerInfo,
  type StorageReport,
} from '@berth/probes';
import { Option, type Command } from 'commander';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { PullPolicy } from '@berth/core';
import type { CommandContext } from '../context';
import { usageFailure, type CliFailure } from '../failure';
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
  readonly dockerInfo?: string;
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
      '--docker-info <file>',
      'judge a saved `docker info` (text or --format "{{json .}}") instead of an engine; - reads standard input',
    )
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
        'ssh old-host docker info | berth probe storage --docker-info -',
        'berth probe storage --docker-info info.json --json',
        'berth --docker-host ssh://ops@cdn-3 probe storage --helper-image registry.example.com/busybox:1 --json',
      ]),
    )
    .action((options: ProbeStorageOptions, command: Command) =>
      runner.execute(command, (context) => probe(context, options)),
    );
}

/** A paste is judged without any engine: nothing is contacted, nothing is run. */
function readPaste(context: CommandContext, file: string): ResultAsync<string, CliFailure> {
  if (file !== '-')
    return ResultAsync.fromPromise(readFile(file, 'utf8'), (cause) =>
      usageFailure(`--docker-info ${file}: ${(cause as Error).message}`, 'docker-info'),
    );
  const stdin = context.io.stdin;
  if (!stdin) return errAsync(usageFailure('--docker-info -: there is no standard input to read'));
  return ResultAsync.fromSafePromise(stdin());
}

function assessPaste(context: CommandContext, options: ProbeStorageOptions, file: string) {
  return readPaste(context, file)
    .andThen((text) => {
      const facts = storageFactsFromDockerInfo(text);
      return facts.isOk() ? okAsync(facts.value) : errAsync<never, CliFailure>(facts.error);
    })
    .map((parsed) => {
      const facts =
        options.driver !== undefined ? { ...parsed, requestedDriver: options.driver } : parsed;
      const report: StorageReport = { facts, ...assessStorage(facts) };
      return findingsReport(report, storageText(report), options.failOn);
    });
}

function probe(context: CommandContext, options: ProbeStorageOptions) {
  if (options.dockerInfo !== undefined) return assessPaste(context, options, options.dockerInfo);
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
        `${facts.engineVersion || '(version not in the facts)'}${facts.operatingSystem ? ` on ${facts.operatingSystem}` : ''}`,
      ],
      ['kernel', facts.kernelVersion || '(not in the facts)'],
      [
        'driver',
        `${facts.driver || '(none named)'}${facts.rootDir ? ` (data root ${facts.rootDir})` : ''}`,
      ],
      [
        'recommended',
        `${report.recommendation.action} ${report.recommendation.driver} (${report.recommendation.confidence} confidence): ${report.recommendation.reason}`,
      ],
      ...report.recommendation.steps.map((step, i) => [`step ${i + 1}`, step] as [string, string]),
      ['because', report.recommendation.because.join('; ')],
    ]),
    '\n',
    table(
      ['driver', 'in use', 'usable', 'possible', 'kernel', 'engine', 'why'],
      report.drivers.map((d) => [
        d.driver,
        d.inUse ? 'yes' : '',
        String(d.usable),
        d.possible,
        d.kernel,
        d.engine,
        d.reason,
      ]),
    ),
    '\n',
  ].join('');
}
