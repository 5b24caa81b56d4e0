// Secrets come from standard input or the environment, never from argv (where `ps` and shell
// history would show them). The environment variables berth's command reads are named here.
import { usageFailure, type CliFailure } from '../failure';
import type { CliIo } from '../io';

export const ENV = {
  registryUser: 'BERTH_REGISTRY_USER',
  registryPassword: 'BERTH_REGISTRY_PASSWORD',
  gitUser: 'BERTH_GIT_USER',
  gitPassword: 'BERTH_GIT_PASSWORD',
} as const;

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** All of stdin, less one trailing newline (`echo "$PASS" | berth … --password-stdin`). */
async function passwordFromStdin(io: CliIo): Promise<string | CliFailure> {
  if (!io.stdin) return usageFailure('--password-stdin: there is no standard input to read');
  const text = (await io.stdin()).replace(/\r?\n$/, '');
  return text.length > 0
    ? text
    : usageFailure('--password-stdin: standard input was empty', 'password-stdin');
}

/**
 * Credentials from `--user` (or `userVar`) with the password from stdin (`--password-stdin`) or
 * `passwordVar`. None when no user is named; a user without a password is a usage error.
 */
export async function readCredentials(
  io: CliIo,
  given: { readonly user?: string | undefined; readonly passwordStdin?: boolean | undefined },
  names: { readonly userVar: string; readonly passwordVar: string },
): Promise<Credentials | undefined | CliFailure> {
  const username = given.user ?? io.env[names.userVar];
  if (given.passwordStdin && !username) {
    return usageFailure(`--password-stdin needs --user (or ${names.userVar})`, 'user');
  }
  if (!username) return undefined;
  const password = given.passwordStdin
    ? await passwordFromStdin(io)
    : (io.env[names.passwordVar] ?? '');
  if (typeof password !== 'string') return password;
  if (password.length === 0) {
    return usageFailure(
      `a password for ${username} is needed: pipe it to --password-stdin or set ${names.passwordVar}`,
      'password',
    );
  }
  return { username, password };
}

export function isFailure(value: unknown): value is CliFailure {
  return typeof value === 'object' && value !== null && 'kind' in value && 'message' in value;
}
