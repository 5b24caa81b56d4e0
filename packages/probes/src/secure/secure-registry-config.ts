import { berthError, type InvalidInputError } from '@berth/core';
import { err, ok, type Result } from 'neverthrow';
import { isLoopbackHost } from '../registry/registry-url';
import { checkUsers, htpasswdFile, type RegistryUser } from './htpasswd';
import { nginxConf } from './nginx-conf';

export interface SecureRegistryConfigInput {
  readonly users: readonly RegistryUser[];
  /** The registry behind the proxy: `127.0.0.1:5001` or `http://127.0.0.1:5001`. */
  readonly upstream: string;
  /** Where the proxy listens. `host` defaults to `127.0.0.1`. */
  readonly listen: { readonly port: number; readonly host?: string };
  /** Paths of the PEM certificate and key as nginx will see them. Without it, plain HTTP (loopback only). */
  readonly tls?: { readonly certificate: string; readonly key: string };
  /** Shown by clients when they ask for credentials. Default `Registry realm`. */
  readonly realm?: string;
  /** Where nginx will find the htpasswd file. Default `/etc/nginx/registry.htpasswd`. */
  readonly htpasswdPath?: string;
  /** Where nginx logs requests: a path, or `false` for none. Default `/dev/stdout` (a container's log). */
  readonly accessLog?: string | false;
  /** bcrypt cost. Default 10. */
  readonly bcryptRounds?: number;
}

export interface SecureRegistryConfig {
  /** A complete nginx.conf: run `nginx -c <it>`. */
  readonly nginxConf: string;
  /** bcrypt entries, one per user: write it to `htpasswdPath`. */
  readonly htpasswd: string;
}

const HOST_PORT = /^(?:http:\/\/)?((?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\d{1,5}))\/?$/;
const PATH = /^\/[^\s;'"{}$\\]*$/;
const REALM = /^[^"\\\p{Cc}]{1,200}$/u;

function invalid(field: string, message: string): Result<never, InvalidInputError> {
  return err(berthError.invalidInput({ field, message: `${field} ${message}` }));
}

const isPort = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;

/**
 * The Basic-auth registry recipe as files: an nginx.conf that demands credentials on /v2/ and
 * passes everything else through to the registry as distribution's recipe says, and an htpasswd
 * with bcrypt hashes only. Refuses plain HTTP on anything but loopback: Basic auth would send
 * every password in clear.
 */
export function secureRegistryConfig(
  input: SecureRegistryConfigInput,
): Result<SecureRegistryConfig, InvalidInputError> {
  const users = checkUsers(input.users);
  if (users.isErr()) return err(users.error);
  const upstream = typeof input.upstream === 'string' ? HOST_PORT.exec(input.upstream) : null;
  if (!upstream?.[1] || !isPort(Number(upstream[2])))
    return invalid('upstream', 'must be host:port or http://host:port');
  const host = input.listen?.host ?? '127.0.0.1';
  if (!isPort(input.listen?.port)) return invalid('listen.port', 'must be a port number 1–65535');
  if (!/^[a-zA-Z0-9.:-]+$/.test(host))
    return invalid('listen.host', 'must be a host name or IP address');
  if (!input.tls && !isLoopbackHost(host)) {
    return invalid(
      'tls',
      `is needed to listen on ${host}: Basic auth over plain HTTP sends every password in clear`,
    );
  }
  const realm = input.realm ?? 'Registry realm';
  if (!REALM.test(realm))
    return invalid(
      'realm',
      'must be 1–200 characters without quotes, backslashes or control characters',
    );
  const htpasswdPath = input.htpasswdPath ?? '/etc/nginx/registry.htpasswd';
  for (const [field, path] of [
    ['htpasswdPath', htpasswdPath],
    ['tls.certificate', input.tls?.certificate],
    ['tls.key', input.tls?.key],
    ['accessLog', input.accessLog === false ? undefined : input.accessLog],
  ] as const) {
    if (path !== undefined && !PATH.test(path))
      return invalid(
        field,
        'must be an absolute path without spaces, quotes, ";", "{", "}" or "$"',
      );
  }
  const rounds = input.bcryptRounds ?? 10;
  if (!Number.isInteger(rounds) || rounds < 4 || rounds > 31)
    return invalid('bcryptRounds', 'must be a whole number 4–31');
  return ok({
    nginxConf: nginxConf({
      upstream: upstream[1],
      listen: { host, port: input.listen.port },
      realm,
      accessLog: input.accessLog === false ? 'off' : (input.accessLog ?? '/dev/stdout'),
      paths: {
        htpasswd: htpasswdPath,
        ...(input.tls && { certificate: input.tls.certificate, key: input.tls.key }),
      },
    }),
    htpasswd: htpasswdFile(users.value, rounds),
  });
}
