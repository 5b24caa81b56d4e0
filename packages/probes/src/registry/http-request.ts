import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ResultAsync, err, ok, type Result } from 'neverthrow';

/** One HTTP answer, body cut at `maxBodyBytes`. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** For HTTPS: whether the certificate chain and name verified, and Node's code when not. */
  readonly tls?: { readonly authorized: boolean; readonly error?: string };
}

/** Why no answer came. */
export interface HttpFailure {
  readonly reason: 'refused' | 'timeout' | 'aborted' | 'tls' | 'network';
  /** Node's error code (`ECONNREFUSED`, `ERR_SSL_WRONG_VERSION_NUMBER`, …) when there is one. */
  readonly code?: string;
  readonly message: string;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA certificates to trust, besides Node's own. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly maxBodyBytes?: number;
  /**
   * Send credentials (an `authorization` header) over TLS that did not verify. Without it, such a
   * request verifies the certificate during the handshake and fails before any header is sent.
   */
  readonly insecure?: boolean;
}

/** OpenSSL's and Node's codes for a certificate that did not verify. */
const UNTRUSTED_CERTIFICATE = /CERT|SELF_SIGNED|VERIFY|ISSUER/;

function failureOf(cause: unknown, timedOut: boolean, aborted: boolean): HttpFailure {
  const error = cause as { code?: unknown; message?: unknown } | null;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : String(cause);
  if (aborted) return { reason: 'aborted', message: 'aborted' };
  if (timedOut) return { reason: 'timeout', message: 'no answer in time' };
  const reason: HttpFailure['reason'] =
    code === 'ECONNREFUSED'
      ? 'refused'
      : code?.startsWith('ERR_SSL') ||
          code === 'EPROTO' ||
          (code !== undefined && UNTRUSTED_CERTIFICATE.test(code)) ||
          /ssl|tls/i.test(message)
        ? 'tls'
        : 'network';
  return { reason, ...(code !== undefined && { code }), message };
}

/**
 * One request, bounded by `timeoutMs` from start to the end of the body, no redirects followed.
 * A certificate that does not verify still gets an answer: the probe reports it rather than
 * stopping. Except for a request that carries credentials: the one rule for secrets is here, so
 * no caller (the registry, a token service elsewhere) can send a password over TLS it has not
 * verified; such a request fails with reason `tls` and sends nothing (unless `insecure`).
 */
export function requestOnce(
  url: string,
  options: HttpRequestOptions,
): ResultAsync<HttpAnswer, HttpFailure> {
  const promise = new Promise<Result<HttpAnswer, HttpFailure>>((resolve) => {
    const reject = (failure: HttpFailure) => resolve(err(failure));
    let timedOut = false;
    let aborted = false;
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const carriesSecret = Object.keys(options.headers ?? {}).some(
      (name) =>
        name.toLowerCase() === 'authorization' && !/^bearer /i.test(options.headers?.[name] ?? ''),
    );
    const req = send(target, {
      method: options.method ?? 'GET',
      headers: { 'user-agent': 'berth-probes', accept: 'application/json', ...options.headers },
      agent: false,
      ...(secure && {
        rejectUnauthorized: carriesSecret && options.insecure !== true,
        ...(options.ca !== undefined && {
          ca: options.ca as string | Buffer | (string | Buffer)[],
        }),
        servername: /^[\d.]+$|^\[/.test(target.hostname) ? undefined : target.hostname,
      }),
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      req.destroy(new Error('aborted'));
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    req.on('error', (cause) => {
      done();
      reject(failureOf(cause, timedOut, aborted));
    });
    req.on('response', (res) => {
      const socket = res.socket as TLSSocket;
      const tls = secure
        ? {
            authorized: socket.authorized === true,
            ...(socket.authorizationError && { error: String(socket.authorizationError) }),
          }
        : undefined;
      const limit = options.maxBodyBytes ?? 256 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < limit) chunks.push(chunk.subarray(0, limit - size));
        size += chunk.length;
      });
      res.on('error', (cause) => {
        done();
        reject(failureOf(cause, timedOut, aborted));
      });
      res.on('end', () => {
        done();
        resolve(
          ok({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(tls && { tls }),
          }),
        );
      });
    });
    req.end();
  });
  return new ResultAsync(promise);
}

/** A header's value as one string (the first, for repeated headers other than challenges). */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
