import { readFile } from 'node:fs/promises';
import { probeRegistry, type RegistryReport } from '@berth/probes';
import { Option, type Command } from 'commander';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import { usageFailure, withHint, type CliFailure } from '../failure';
import { ENV, isFailure, readCredentials, type Credentials } from '../options/secrets';
import { findingsReport, type FailOn } from '../render/findings';
import type { Report } from '../report';
import { fields } from '../render/table';
import { examples, type Runner } from '../runner';
import { failOnOption } from './fail-on';

interface ProbeRegistryOptions {
  readonly registryUser?: string;
  /** `--user`, the old spelling of `--registry-user`. */
  readonly user?: string;
  readonly passwordStdin?: boolean;
  readonly passwordFile?: string;
  readonly ca?: string;
  readonly insecure?: boolean;
  readonly checkPush?: boolean;
  readonly repository?: string;
  readonly failOn: FailOn;
}

export function registerProbeRegistry(group: Command, runner: Runner): void {
  group
    .command('registry')
    .summary('probe a registry: TLS, auth, anonymous pull and push, credentials')
    .description(
      'look at a registry the way an attacker would: TLS, auth, anonymous pull, catalog and push, and whether the credentials work',
    )
    .argument('<url>', 'the registry: host[:port] or https://host[:port]')
    .option(
      '--registry-user <name>',
      `user name to check; the password from --password-stdin, --password-file or ${ENV.registryPassword}`,
    )
    .addOption(new Option('--user <name>', 'deprecated: --registry-user').hideHelp())
    .option('--password-stdin', 'read the password from standard input')
    .option('--password-file <file>', 'read the password from this file')
    .option('--ca <file>', 'a PEM CA certificate to trust (a self-signed registry)')
    .option(
      '--insecure',
      'allow plain HTTP and unverified TLS to a registry that is not on loopback',
    )
    .option('--check-push', 'try an anonymous upload, cancelled at once (the default)')
    .option('--no-check-push', 'skip the anonymous upload')
    .option(
      '--repository <name>',
      "also try to read this repository's tags anonymously, e.g. team/site",
    )
    .addOption(failOnOption())
    .addHelpText(
      'after',
      examples([
        'berth probe registry 127.0.0.1:5000',
        'berth probe registry registry.example.com:5443 --ca registry.crt --registry-user ci --password-stdin < password.txt',
        'BERTH_REGISTRY_USER=ci BERTH_REGISTRY_PASSWORD=… berth probe registry registry.example.com --fail-on warn --json',
      ]) +
        '\n\nFindings at or above --fail-on (default critical) make the exit code 1. A registry that does\nnot answer, or credentials it rejects (or that could not be sent to it safely), make it 3.',
    )
    .action((url: string, options: ProbeRegistryOptions, command: Command) =>
      runner.execute(command, (context) => probe(context, url, options)),
    );
}

function readCa(file: string | undefined): ResultAsync<Buffer | undefined, CliFailure> {
  if (file === undefined) return okAsync(undefined);
  return ResultAsync.fromPromise(readFile(file), (cause) =>
    usageFailure(`--ca ${file}: ${(cause as Error).message}`, 'ca'),
  );
}

function credentials(
  context: CommandContext,
  options: ProbeRegistryOptions,
): ResultAsync<Credentials | undefined, CliFailure> {
  return ResultAsync.fromSafePromise(
    readCredentials(
      context.io,
      {
        // The hidden old spelling only ever comes from argv: it wins over BERTH_REGISTRY_USER.
        user: options.user ?? options.registryUser,
        passwordStdin: options.passwordStdin,
        passwordFile: options.passwordFile,
      },
      { userVar: ENV.registryUser, passwordVar: ENV.registryPassword, userFlag: '--registry-user' },
    ),
  ).andThen((found) => (isFailure(found) ? errAsync(found) : okAsync(found)));
}

function probe(context: CommandContext, url: string, options: ProbeRegistryOptions) {
  const deadline = context.deadline(`probe registry ${url}`);
  return ResultAsync.combine([credentials(context, options), readCa(options.ca)] as const)
    .andThen(([given, ca]) =>
      probeRegistry(url, {
        ...(given && { credentials: given }),
        ...(ca && { ca }),
        ...(options.insecure && { insecure: true }),
        ...(options.checkPush !== undefined && { checkPush: options.checkPush }),
        ...(options.repository !== undefined && { repository: options.repository }),
        ...(context.globals.timeoutMs !== undefined && { timeoutMs: context.globals.timeoutMs }),
        ...(deadline.signal && { signal: deadline.signal }),
      }),
    )
    .mapErr(deadline.explain)
    .map((report): Report => {
      const judged = findingsReport(report, registryText(url, report), options.failOn);
      const failures = probeFailures(url, report);
      return failures.length > 0 ? { ...judged, failures } : judged;
    });
}

/**
 * What the probe could not do, whatever `--fail-on` says: reach the registry, or check the
 * credentials it was given. A Jenkins step that checks its credentials must not pass on either.
 */
function probeFailures(url: string, { facts }: RegistryReport): CliFailure[] {
  if (!facts.reachable) {
    return [
      withHint(
        {
          kind: 'RegistryUnreachable',
          message: `nothing answered at ${url}: ${(facts.unreachableReasons ?? []).join('; ') || 'no address to try'}`,
        },
        'check the address and port, that the registry runs, and that a firewall lets you through',
      ),
    ];
  }
  if (facts.credentials === 'rejected') {
    return [
      withHint(
        { kind: 'CredentialsRejected', message: `${facts.host} rejected the credentials given` },
        `check --user and the password (--password-stdin or ${ENV.registryPassword})`,
      ),
    ];
  }
  if (facts.credentials === 'withheld') {
    return [
      withHint(
        {
          kind: 'CredentialsNotChecked',
          message: `the credentials were not sent to ${facts.host}: ${facts.credentialsNote ?? 'the connection is not trusted'}`,
        },
        'trust the registry with --ca <file> (or --insecure if you accept the risk)',
      ),
    ];
  }
  return [];
}

function registryText(url: string, { facts }: RegistryReport): string {
  if (!facts.reachable) {
    return (
      fields([
        ['registry', url],
        ['reachable', `no: ${(facts.unreachableReasons ?? []).join('; ')}`],
      ]) + '\n'
    );
  }
  const push = `${facts.push.access}${facts.push.cleanup ? ` (upload ${facts.push.cleanup})` : ''}`;
  return (
    fields([
      ['registry', `${facts.host} at ${facts.url ?? '?'}`],
      ['tls', `${facts.tls}${facts.tlsError ? ` (${facts.tlsError})` : ''}`],
      [
        'GET /v2/',
        `${facts.apiStatus ?? '?'}, api-version ${facts.apiVersionHeader ?? '(missing)'}`,
      ],
      ['auth', facts.auth.type],
      [
        'anonymous',
        `catalog ${facts.catalog.access}, push ${push}${facts.tags ? `, tags of ${facts.tags.repository} ${facts.tags.access}` : ''}`,
      ],
      [
        'credentials',
        `${facts.credentials}${facts.credentialsNote ? ` (${facts.credentialsNote})` : ''}`,
      ],
    ]) + '\n'
  );
}
