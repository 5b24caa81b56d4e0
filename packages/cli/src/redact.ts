// The one place secrets are taken out of what berth prints. Every byte the CLI writes (tables,
// `--json` documents, error lines, commander's own messages, progress) goes through the io that
// `run` wraps here, so no message has to remember to hide anything.
import type { CliIo } from './io';

export const REDACTED = '***';

/** `scheme://user:password@` (a URL's userinfo with a password): the password goes. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>]*):([^\s/?#@"'<>]+)@/gi;

/** Environment variables whose values are secrets wherever they turn up (not paths to them). */
const SECRET_VARIABLE = /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN/i;
const NAMES_A_PATH = /_(FILE|PATH|DIR)$/i;
/** Values that would hide ordinary words, or break a JSON document, if hidden everywhere. */
const ORDINARY_VALUE = /^(true|false|yes|no|on|off|null|\d+)$/i;

/** Shorter values would hide ordinary words; a URL's password is hidden whatever its length. */
const MIN_SECRET_LENGTH = 4;

/** Takes secrets out of text: URL passwords, and the literal values it was told are secret. */
export interface Redactor {
  (text: string): string;
  /** A secret berth read (from stdin, a file): hidden from now on. */
  add(secret: string): void;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createRedactor(env: Readonly<Record<string, string | undefined>>): Redactor {
  const secrets = new Set<string>();
  let literal: RegExp | undefined;
  const add = (secret: string) => {
    for (const value of [secret, secret.trim()]) {
      if (value.length < MIN_SECRET_LENGTH || secrets.has(value)) continue;
      secrets.add(value);
      // Longest first, so a secret that contains another is hidden whole.
      const alternatives = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      literal = new RegExp(alternatives.join('|'), 'g');
    }
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || ORDINARY_VALUE.test(value.trim())) continue;
    if (SECRET_VARIABLE.test(name) && !NAMES_A_PATH.test(name)) add(value);
  }
  const redact = (text: string): string => {
    const withoutUrls = text.replace(URL_PASSWORD, `$1$2:${REDACTED}@`);
    return literal ? withoutUrls.replace(literal, REDACTED) : withoutUrls;
  };
  return Object.assign(redact, { add });
}

const redactors = new WeakMap<CliIo, Redactor>();

/**
 * The io with every write redacted. Passwords read at run time (`--password-stdin`,
 * `--password-file`) are added with {@link keepSecret} where they are read: stdin is not always
 * a secret (`probe storage --docker-info -` reads a paste).
 */
export function redactingIo(io: CliIo): CliIo {
  const redact = createRedactor(io.env);
  const safe: CliIo = {
    ...io,
    stdout: (text) => io.stdout(redact(text)),
    stderr: (text) => io.stderr(redact(text)),
  };
  redactors.set(safe, redact);
  return safe;
}

/** Hides `secret` in everything `io` prints from now on (a password read from a file, say). */
export function keepSecret(io: CliIo, secret: string): void {
  redactors.get(io)?.add(secret);
}
