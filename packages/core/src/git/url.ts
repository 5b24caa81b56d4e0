/**
 * Repository URLs berth fetches from: `http(s)://host/path`, `ssh://[user@]host[:port]/path`,
 * and git's scp-like form `[user@]host:path` (port 22; the path relative to the login's home
 * unless it starts with `/`).
 */
import { err, ok, type Result } from 'neverthrow';

export type GitUrl =
  | { readonly transport: 'http'; readonly url: string }
  | {
      readonly transport: 'ssh';
      /** The URL as berth names it (errors, cache directory). */
      readonly url: string;
      /** The login named in the URL, if any. */
      readonly user: string | undefined;
      readonly host: string;
      readonly port: number;
      /** What `git-upload-pack` is given: as in the URL, `~` and all. */
      readonly path: string;
    };

const SCP_LIKE = /^(?:([^@/:\s]+)@)?(\[[^\]]+\]|[^@/:\s[\]]+):(?!\/\/)(.+)$/;

function sshUrl(
  url: string,
  user: string | undefined,
  host: string,
  port: number,
  path: string,
): Result<GitUrl, string> {
  if (host.length === 0) return err('an ssh URL needs a host');
  if (host.startsWith('-') || (user ?? '').startsWith('-'))
    return err('a host or user cannot start with "-"');
  // The path goes into git-upload-pack's single-quoted argument: nothing may close the quote.
  // eslint-disable-next-line no-control-regex
  if (path.length === 0 || /['\x00-\x1f\x7f]/.test(path)) {
    return err('a repository path must be non-empty, with no quote or control character');
  }
  return ok({ transport: 'ssh', url, user, host, port, path });
}

/** Parses a repository URL, or says why it is not one berth can fetch from. */
export function parseGitUrl(raw: string): Result<GitUrl, string> {
  if (typeof raw !== 'string' || raw.length === 0) return err('a URL must be a non-empty string');
  const scp = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? null : SCP_LIKE.exec(raw);
  if (scp) {
    const [, user, host = '', path = ''] = scp;
    return sshUrl(
      raw.replace(/\/+$/, ''),
      user,
      host.replace(/^\[|\]$/g, ''),
      22,
      path.replace(/\/+$/, ''),
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err(`"${raw}" is not a URL`);
  }
  if (url.search || url.hash) return err('a repository URL has no query or fragment');
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (url.username || url.password)
      return err('put credentials in the auth callback, not in the URL');
    return ok({ transport: 'http', url: url.href.replace(/\/+$/, '') });
  }
  if (url.protocol === 'ssh:' || url.protocol === 'git+ssh:') {
    if (url.password) return err('an ssh URL carries no password: use keys or an agent');
    const user = url.username ? decodeURIComponent(url.username) : undefined;
    const port = url.port ? Number(url.port) : 22;
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
    // ssh://host/~/repo names a path in the login's home, as git does.
    const serverPath = path.startsWith('/~') ? path.slice(1) : path;
    return sshUrl(
      url.href.replace(/\/+$/, ''),
      user,
      url.hostname.replace(/^\[|\]$/g, ''),
      port,
      serverPath,
    );
  }
  return err(`${url.protocol} is not supported: berth fetches over http(s) and ssh`);
}
