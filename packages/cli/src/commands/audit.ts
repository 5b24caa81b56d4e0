import { auditImage, type ImageAudit } from '@berth/probes';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { collect, collectLabel } from '../options/parsers';
import { findingsReport, type FailOn } from '../render/findings';
import { fields, table } from '../render/table';
import { examples, type Runner } from '../runner';
import { failOnOption } from './fail-on';

interface AuditOptions {
  readonly root?: readonly string[];
  readonly wholeFilesystem?: boolean;
  readonly label?: Readonly<Record<string, string>>;
  readonly failOn: FailOn;
}

export function registerAudit(program: Command, runner: Runner): void {
  program
    .command('audit')
    .summary('list the build toolchains and package managers an image carries')
    .description(
      'list the build toolchains and package managers an image carries, without running it',
    )
    .argument('<image>', 'an image on the engine, e.g. nginx:1.27')
    .option(
      '--root <dir>',
      'a directory to look in (repeatable; default the usual bin, lib and toolchain places)',
      collect,
    )
    .option('--whole-filesystem', 'look at every file (slower: the engine sends them all)')
    .option(
      '--label <key=value>',
      'an extra label for the short-lived container (repeatable)',
      collectLabel,
    )
    .addOption(failOnOption())
    .addHelpText(
      'after',
      examples([
        'berth audit nginx:1.27',
        'berth audit registry.example.com/site:42 --fail-on warn',
        'berth audit my-app:latest --whole-filesystem --json',
      ]) +
        '\n\nA toolchain is a warn finding, a package manager an info one: with the default\n--fail-on critical the audit reports them and exits 0.',
    )
    .action((image: string, options: AuditOptions, command: Command) =>
      runner.execute(command, (context) => audit(context, image, options)),
    );
}

function audit(context: CommandContext, image: string, options: AuditOptions) {
  const deadline = context.deadline(`audit ${image}`);
  return context
    .docker()
    .andThen((docker) =>
      auditImage(docker, image, {
        ...(options.root && { roots: options.root }),
        ...(options.wholeFilesystem && { wholeFilesystem: true }),
        ...(options.label && { labels: options.label }),
        ...(context.globals.timeoutMs !== undefined && { timeoutMs: context.globals.timeoutMs }),
        ...(deadline.signal && { signal: deadline.signal }),
      }),
    )
    .mapErr(deadline.explain)
    .map((report) => findingsReport(report, auditText(report), options.failOn));
}

function auditText(report: ImageAudit): string {
  const tools = [...report.toolchains, ...report.packageManagers];
  return [
    fields([
      ['image', `${report.image} (${report.imageId.replace(/^sha256:/, '').slice(0, 12)})`],
      ['looked in', report.roots.join(' ')],
    ]),
    '\n',
    tools.length > 0
      ? table(
          ['kind', 'tool', 'paths'],
          tools.map((t) => [
            t.kind,
            `${t.label}${t.busyboxApplet ? ' (busybox applet)' : ''}`,
            t.paths.length > 3
              ? `${t.paths.slice(0, 3).join(' ')} … (${t.paths.length})`
              : t.paths.join(' '),
          ]),
        )
      : 'no toolchain or package manager found\n',
    '\n',
  ].join('');
}
