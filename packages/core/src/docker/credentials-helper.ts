import { spawn } from 'node:child_process';
import { err, errAsync, ok, ResultAsync, type Result } from 'neverthrow';
import { berthError, type AbortedError, type CredentialHelperError } from '../errors';
import type { RegistryCredentials } from './credentials-config';

/** How a helper is run: the environment (its `PATH` finds the program) and the bounds. */
export interface CredentialHelperRun {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The one answer the helper protocol defines for "nothing stored for this server": the helper
 * prints exactly this on stdout and exits non-zero (docker-credential-helpers'
 * `errCredentialsNotFoundMessage`, which the Docker CLI compares the same way).
 */
const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';
/** What a helper answers for an identity token instead of a user name. */
const TOKEN_USERNAME = '<token>';
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const OUTPUT_LIMIT = 64 * 1024;

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: NodeJS.ErrnoException;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}

/** Runs `program get` with `input` on stdin; always resolves, with whatever happened. */
function runGet(program: string, input: string, run: CredentialHelperRun): Promise<Exit> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const env = Object.fromEntries(
      Object.entries(run.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    // With `env` given, spawn looks the program up on env.PATH, not on this process's PATH.
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    // Closing the pipes too: a daemon the helper started (gpg-agent, say) may hold them open
    // after the helper is gone, and 'close' waits for them.
    const stop = () => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk;
    });
    // A helper may exit without reading its input; that EPIPE is not the failure to report.
    child.stdin.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError ??= error;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      resolve({
        code,
        stdout,
        stderr,
        timedOut,
        aborted,
        ...(spawnError && { spawnError }),
      });
    });
    child.stdin.end(input);
  });
}

function clip(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The helper's JSON answer `{ ServerURL, Username, Secret }` as credentials. */
function parseAnswer(stdout: string): RegistryCredentials | undefined | 'unreadable' {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    return 'unreadable';
  }
  const { Username: username, Secret: secret } = (answer ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof secret !== 'string') return 'unreadable';
  if (username === '' && secret === '') return undefined;
  if (username === TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

function classify(
  exit: Exit,
  helper: string,
  registry: string,
): Result<RegistryCredentials | undefined, CredentialHelperError | AbortedError> {
  const program = `docker-credential-${helper}`;
  const failed = (message: string, cause?: unknown) =>
    err(
      berthError.credentialHelper({
        helper,
        registry,
        message: `${program} get (for ${registry}): ${message}`,
        ...(cause !== undefined && { cause }),
      }),
    );
  if (exit.aborted) {
    return err(
      berthError.aborted({ operation: `${program} get`, message: `${program} get was aborted` }),
    );
  }
  if (exit.timedOut) return failed('did not answer in time and was killed');
  if (exit.spawnError) {
    return exit.spawnError.code === 'ENOENT'
      ? failed(`${program} is not on PATH`, exit.spawnError)
      : failed(`could not be started: ${exit.spawnError.message}`, exit.spawnError);
  }
  if (exit.code !== 0) {
    if (exit.stdout.trim() === CREDENTIALS_NOT_FOUND) return ok(undefined);
    const said = clip(exit.stdout) || clip(exit.stderr) || 'no output';
    return failed(`exited with ${exit.code ?? 'a signal'}: ${said}`);
  }
  const answer = parseAnswer(exit.stdout);
  // The answer holds the secret: say what is wrong with it, never what it said.
  if (answer === 'unreadable') {
    return failed('answered with something other than {"ServerURL","Username","Secret"} JSON');
  }
  return ok(answer);
}

/**
 * Asks `docker-credential-<helper>` for a server's credentials, by the helper protocol: `get`,
 * the server URL on stdin, `{ ServerURL, Username, Secret }` on stdout. "Not found" means no
 * credentials (`undefined`); anything else that goes wrong is a `CredentialHelper` error.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  run: CredentialHelperRun,
): ResultAsync<RegistryCredentials | undefined, CredentialHelperError | AbortedError> {
  if (!HELPER_NAME.test(helper)) {
    return errAsync(
      berthError.credentialHelper({
        helper,
        registry: serverUrl,
        message: `credential helper name ${JSON.stringify(helper)} is not a plain program suffix`,
      }),
    );
  }
  if (run.signal?.aborted) {
    const program = `docker-credential-${helper}`;
    return errAsync(
      berthError.aborted({ operation: `${program} get`, message: `${program} get was aborted` }),
    );
  }
  return ResultAsync.fromSafePromise(runGet(`docker-credential-${helper}`, serverUrl, run)).andThen(
    (exit) => classify(exit, helper, serverUrl),
  );
}
