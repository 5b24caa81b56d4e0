import { readFile } from 'node:fs/promises';
import { probeRegistry, type RegistryReport } from '@berth/probes';
import { Option, type Command } from 'commander';
import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import { usageFailure, type CliFailure } from '../failure';
import { ENV, isFailure, readCredentials, type Credentials } from '../options/secrets';
import { findingsReport, type FailOn } from '../render/findings';
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
      ]) + '\n\nFindings at or above --fail-on (default critical) make the exit code 1.',
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
        user: options.registryUser ?? options.user,
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
    .map((report) => findingsReport(report, registryText(url, report), options.failOn));
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
