// The one place where the library's words become the command line's: a failure names flags and
// environment variables (`--replace`, `BERTH_GIT_PASSWORD`), never the options of the functions
// the CLI calls (`replace: true`, `the ca option`, `the auth callback`).
import type { BerthErrorKind } from '@berth/core';
import type { CliFailure } from './failure';

/** What the user gave, so that a failure can say what is missing rather than what was refused. */
export interface WordsContext {
  /** The options of the command that ran (`command.opts()`), `BERTH_…` variables included. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/**
 * Library phrases and their CLI equivalents, applied to every message, hint and finding fix the
 * CLI prints. Longest first where one contains another.
 */
const PHRASES: readonly (readonly [RegExp, string])[] = [
  [/\(pass replace: true to recreate it\)/g, '(--replace recreates it)'],
  [/\bpass replace: true\b/g, 'add --replace'],
  [
    /put credentials in the auth callback, not in the URL/g,
    'give credentials with --git-user and BERTH_GIT_PASSWORD (or --password-stdin, --password-file), not in the URL',
  ],
  [/\bthe auth callback\b/g, 'the git credentials'],
  [/\bthis probe: the ca option\b/g, 'this probe: --ca'],
  [/\bpass the CA as ca, or insecure: true\b/g, 'pass the CA with --ca, or --insecure'],
  [/\bthe ca option\b/g, '--ca'],
  [/\bgive probeStorage a helperImage\b/g, 'give --helper-image an image'],
  [/\bneeds insecure: true\b/g, 'needs --insecure'],
  [/\binsecure: true\b/g, '--insecure'],
  [/\bhelperTimeoutMs\b/g, '--timeout'],
  [/\b(?:spec\.)?timeoutMs\b/g, '--timeout'],
  [/\bkeepOnFailure\b/g, '--keep-helper'],
];

/** The text with every library phrase put in the CLI's words. */
export function userWords(text: string): string {
  return PHRASES.reduce((out, [phrase, words]) => out.replace(phrase, words), text);
}

type Failure = CliFailure & Readonly<Record<string, unknown>>;
interface Words {
  readonly message?: string;
  readonly hint?: string;
}
type Rewrite = (failure: Failure, context: WordsContext) => Words | undefined;

const ETCD_HINT =
  'set --etcd-endpoints or BERTH_ETCD_ENDPOINTS (ETCDCTL_ENDPOINTS and ETCD_ENDPOINTS are read too)';
const GIT_CREDENTIALS =
  '--git-user NAME (or BERTH_GIT_USER) with the password in BERTH_GIT_PASSWORD, --password-stdin or --password-file';
const REGISTRY_CREDENTIALS =
  '--registry-user NAME (or BERTH_REGISTRY_USER) with the password in BERTH_REGISTRY_PASSWORD, --password-stdin or --password-file, or docker login';

/** What etcd3/gRPC appended to "no member answered", reduced to the one reason that matters. */
function etcdMessage(failure: Failure): string {
  const endpoints = Array.isArray(failure.endpoints) ? failure.endpoints.map(String) : [];
  const head = /^(etcd [^:]+: )?no (?:etcd )?member answered/.exec(failure.message);
  if (!head) return failure.message;
  const reason =
    /Last error: (?:Error: )?(.*?)(?:\. Resolution note:|\.?$)/m.exec(failure.message)?.[1] ??
    /within \d+ ms/.exec(failure.message)?.[0];
  return `${head[1] ?? ''}no etcd member answered at ${endpoints.join(', ') || 'the endpoints'}${reason ? ` (${reason.trim()})` : ''}`;
}

// The options already hold what BERTH_GIT_USER gave (options/env.ts fills them from it).
const gitCredentialsGiven = ({ flags = {} }: WordsContext): boolean =>
  [flags.gitUser, flags.repoUser].some((v) => typeof v === 'string' && v.length > 0);

/**
 * Every kind the CLI can print, with what to add in the user's words. A record over all the
 * kinds, so a new kind in `@berth/core` does not compile here until someone has said how it reads.
 */
const KIND_WORDS: Readonly<Record<BerthErrorKind | 'Usage' | 'Internal', Rewrite>> = {
  Usage: () => undefined,
  Internal: () => ({ hint: 'this is a bug in berth; please report it with the command line' }),
  InvalidInput: () => undefined,
  InvalidAnnouncement: () => ({
    hint: 'announce the full 40-hex commit with berth deploy --commit (or berth rollback --to)',
  }),
  ConvergenceTimeout: (f) => ({
    hint: `berth status --key ${typeof f.key === 'string' ? f.key : 'KEY'} shows what each node serves and its last error; raise --timeout to wait longer`,
  }),
  GitAuth: (f, context) =>
    gitCredentialsGiven(context)
      ? { hint: `check the user and password: ${GIT_CREDENTIALS}` }
      : {
          message: `${typeof f.url === 'string' ? f.url : 'the repository'} needs credentials${typeof f.statusCode === 'number' ? ` (HTTP ${f.statusCode})` : ''}, and none were given`,
          hint: `give them with ${GIT_CREDENTIALS}`,
        },
  GitFetch: () => undefined,
  UnknownRevision: () => ({ hint: 'check --ref (a branch, a tag or a full commit SHA)' }),
  GitObject: () => ({ hint: 'remove the --cache-dir folder; the next run fetches afresh' }),
  GitCacheCorrupt: () => ({
    hint: 'berth already discarded the cache and cloned once; remove the --cache-dir folder and check the repository',
  }),
  GitHostUnknown: (f) => ({
    hint: `add the server's key to known_hosts (BERTH_SSH_KNOWN_HOSTS) or pin it with BERTH_SSH_HOST_FINGERPRINT=${typeof f.fingerprint === 'string' ? f.fingerprint : 'SHA256:…'} after checking it`,
  }),
  GitHostKeyChanged: () => ({
    hint: 'the server shows another key than known_hosts names: check with its operator before you trust the new one',
  }),
  TargetStateChanged: () => ({ hint: 'another writer changed it: run the command again' }),
  TargetIo: () => undefined,
  UnsafeTree: () => undefined,
  NginxConfigInvalid: () => ({ hint: 'the old release keeps serving; fix the configuration' }),
  HookFailed: () => undefined,
  NotFound: () => undefined,
  Ambiguous: () => ({ hint: 'give more of the id, or the name' }),
  Conflict: () => ({ hint: '--replace recreates it (its volumes and their content go with it)' }),
  InUse: () => ({ hint: 'stop the containers that use it first' }),
  RegistryAuth: () => ({ hint: `give credentials with ${REGISTRY_CREDENTIALS}` }),
  ImagePullFailed: () => undefined,
  CredentialHelper: () => ({
    hint: 'check credsStore/credHelpers in ~/.docker/config.json, or give --registry-user',
  }),
  ReadinessTimeout: () => ({ hint: 'raise --timeout (BERTH_TIMEOUT), or read the logs above' }),
  DockerUnreachable: () => ({
    hint: 'set --docker-host or DOCKER_HOST (unix:///var/run/docker.sock, tcp://HOST:2376, ssh://USER@HOST)',
  }),
  DockerApi: () => undefined,
  EtcdUnreachable: (f) => ({ message: etcdMessage(f), hint: ETCD_HINT }),
  Etcd: () => undefined,
  Timeout: () => ({ hint: 'raise --timeout (BERTH_TIMEOUT)' }),
  Aborted: () => undefined,
};

/**
 * The failure as the CLI prints it: its message in the CLI's words and, when there is one, a
 * hint naming the flag or environment variable that helps. A hint the command already gave wins.
 */
export function inUserWords<F extends CliFailure>(
  failure: F,
  context: WordsContext = {},
): F & { readonly hint?: string } {
  const rewrite = (KIND_WORDS as Readonly<Record<string, Rewrite | undefined>>)[failure.kind];
  const words = rewrite?.(failure as unknown as Failure, context) ?? {};
  const given = (failure as { hint?: unknown }).hint;
  const hint = typeof given === 'string' ? given : words.hint;
  return {
    ...failure,
    message: userWords(words.message ?? failure.message),
    ...(hint !== undefined && { hint: userWords(hint) }),
  };
}

/** The kinds {@link inUserWords} knows, for tests that go through all of them. */
export const WORDED_KINDS: readonly string[] = Object.keys(KIND_WORDS);
