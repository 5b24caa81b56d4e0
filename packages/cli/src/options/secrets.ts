// Secrets come from standard input, a file or the environment, never from argv (where `ps` and
// shell history would show them). The environment variables berth's command reads are named here.
import { readFile } from 'node:fs/promises';
import { usageFailure, type CliFailure } from '../failure';
import type { CliIo } from '../io';
import { keepSecret } from '../redact';

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

/** The file's content less one trailing newline (a Docker or Kubernetes secret file). */
async function passwordFromFile(file: string): Promise<string | CliFailure> {
  try {
    const text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    return text.length > 0
      ? text
      : usageFailure(`--password-file ${file}: the file is empty`, 'password-file');
  } catch (cause) {
    return usageFailure(`--password-file ${file}: ${(cause as Error).message}`, 'password-file');
  }
}

/**
 * Credentials from the user flag (which options/env.ts fills from `userVar`) with the password from stdin (`--password-stdin`),
 * a file (`--password-file`) or `passwordVar`. None when no user is named; a user without a
 * password is a usage error.
 */
export async function readCredentials(
  io: CliIo,
  given: {
    readonly user?: string | undefined;
    readonly passwordStdin?: boolean | undefined;
    readonly passwordFile?: string | undefined;
  },
  names: { readonly userVar: string; readonly passwordVar: string; readonly userFlag?: string },
): Promise<Credentials | undefined | CliFailure> {
  const userFlag = names.userFlag ?? '--user';
  if (given.passwordStdin && given.passwordFile !== undefined) {
    return usageFailure('give --password-stdin or --password-file, not both', 'password-file');
  }
  const username = given.user;
  const from = given.passwordStdin ? '--password-stdin' : given.passwordFile && '--password-file';
  if (from && !username) {
    return usageFailure(`${from} needs ${userFlag} (or ${names.userVar})`, 'user');
  }
  if (!username) return undefined;
  const password = given.passwordStdin
    ? await passwordFromStdin(io)
    : given.passwordFile !== undefined
      ? await passwordFromFile(given.passwordFile)
      : (io.env[names.passwordVar] ?? '');
  if (typeof password !== 'string') return password;
  // Read at run time, so no redactor knew it: hidden in every later write.
  if (given.passwordStdin || given.passwordFile !== undefined) keepSecret(io, password);
  if (password.length === 0) {
    return usageFailure(
      `a password for ${username} is needed: pipe it to --password-stdin, give --password-file or set ${names.passwordVar}`,
      'password',
    );
  }
  return { username, password };
}

export function isFailure(value: unknown): value is CliFailure {
  return typeof value === 'object' && value !== null && 'kind' in value && 'message' in value;
}
