import { berthError, type InvalidInputError } from '@berth/core';
import { err, ok, type Result } from 'neverthrow';

/** A registry address, taken apart and checked. */
export interface RegistryTarget {
  /** What the caller wrote. */
  readonly input: string;
  /** `127.0.0.1`, `registry.example.com`, `[::1]`. */
  readonly hostname: string;
  /** Given explicitly, else undefined (443 for HTTPS, 80 for HTTP). */
  readonly port?: number;
  /** `hostname[:port]`, as image references name the registry. */
  readonly host: string;
  /** Set when the caller wrote `http://` or `https://`. */
  readonly scheme?: 'http' | 'https';
  /** 127.0.0.0/8, ::1 or localhost: traffic never leaves the machine. */
  readonly loopback: boolean;
}

const HOSTNAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** 127.0.0.0/8, `localhost` (and `*.localhost`), `::1` and IPv4-mapped loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  if (host === '[::1]' || host === '::1') return true;
  // WHATWG URLs write ::ffff:127.0.0.1 as [::ffff:7f00:1].
  return /^\[::ffff:(?:7f[0-9a-f]{2}:[0-9a-f]{1,4}|127(?:\.\d{1,3}){3})\]$/.test(host);
}

function invalid(input: unknown, why: string): Result<never, InvalidInputError> {
  return err(
    berthError.invalidInput({
      field: 'url',
      message: `${JSON.stringify(input)} is not a registry address: ${why}`,
    }),
  );
}

/**
 * Reads `127.0.0.1:5000`, `registry.example.com`, `https://host:5443`, `http://localhost:5000/v2/`.
 * No credentials in the address (pass them as an option), no query, no path but `/v2/`.
 * Never throws.
 */
export function parseRegistryUrl(input: unknown): Result<RegistryTarget, InvalidInputError> {
  if (typeof input !== 'string') return invalid(input, 'not a string');
  const text = input.trim();
  if (text.length === 0 || text.length > 2048) return invalid(input, 'empty or too long');
  if (/[\s\\]/.test(text)) return invalid(input, 'contains white space or a backslash');
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return invalid(input, `scheme ${scheme} is not http or https`);
  }
  let url: URL;
  try {
    url = new URL(scheme ? text : `https://${text}`);
  } catch {
    return invalid(input, 'not a URL');
  }
  if (url.username || url.password) {
    return invalid(input, 'credentials belong in the credentials option, not in the address');
  }
  if (url.search || url.hash || text.includes('?') || text.includes('#')) {
    return invalid(input, 'no query or fragment');
  }
  if (url.pathname !== '/' && url.pathname !== '/v2' && url.pathname !== '/v2/') {
    return invalid(input, `path ${url.pathname}: a registry is served at its root`);
  }
  const hostname = url.hostname;
  if (!HOSTNAME.test(hostname) && !IPV6.test(hostname)) {
    return invalid(input, `"${hostname}" is not a host name or IP address`);
  }
  // URL drops a port equal to its scheme's default; the caller's explicit port is kept.
  const written = /:(\d{1,5})$/.exec(/^(?:[a-z]+:\/\/)?([^/?#]*)/i.exec(text)?.[1] ?? '');
  const port = url.port !== '' ? Number(url.port) : written ? Number(written[1]) : undefined;
  return ok({
    input,
    hostname,
    ...(port !== undefined && { port }),
    host: port === undefined ? hostname : `${hostname}:${port}`,
    ...(scheme !== undefined && { scheme }),
    loopback: isLoopbackHost(hostname),
  });
}

/** The base URLs to try, in order: HTTPS first; HTTP only for loopback or an insecure registry. */
export function candidateBases(target: RegistryTarget, insecure: boolean): string[] {
  const https = `https://${target.host}`;
  const http = `http://${target.host}`;
  const plainAllowed = target.loopback || insecure;
  if (target.scheme === 'https') return [https];
  if (target.scheme === 'http') return plainAllowed ? [http] : [];
  return plainAllowed ? [https, http] : [https];
}
