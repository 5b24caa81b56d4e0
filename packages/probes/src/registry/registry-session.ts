import { headerOf, requestOnce, type HttpAnswer, type HttpFailure } from './http-request';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** What every request of one probe shares: where, trusting what, for how long. */
export interface RegistrySession {
  readonly base: string;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** The caller accepts sending credentials over TLS that did not verify. */
  readonly insecure?: boolean;
}

export type Answer =
  | { readonly ok: true; readonly answer: HttpAnswer }
  | { readonly ok: false; readonly failure: HttpFailure };

/** One request against the registry (a path) or another URL (the token service), as a value. */
export async function call(
  session: RegistrySession,
  pathOrUrl: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${session.base}${pathOrUrl}`;
  const result = await requestOnce(url, {
    timeoutMs: session.timeoutMs,
    ...(init.method !== undefined && { method: init.method }),
    ...(init.headers !== undefined && { headers: init.headers }),
    ...(session.ca !== undefined && { ca: session.ca }),
    ...(session.signal !== undefined && { signal: session.signal }),
    ...(session.insecure === true && { insecure: true }),
  });
  return result.match(
    (answer): Answer => ({ ok: true, answer }),
    (failure): Answer => ({ ok: false, failure }),
  );
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The token in a token service's JSON answer (`token` or `access_token`). */
export function tokenOf(answer: HttpAnswer): string | undefined {
  if (answer.status !== 200) return undefined;
  try {
    const body = JSON.parse(answer.body) as { token?: unknown; access_token?: unknown };
    const token = body.token ?? body.access_token;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/** A token service URL for a realm, a service and scopes; undefined for a realm that is no URL. */
export function tokenUrl(
  realm: string,
  service: string | undefined,
  scopes: readonly string[],
): string | undefined {
  if (!URL.canParse(realm)) return undefined;
  const url = new URL(realm);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url.toString();
}

/** `Location` of an upload, on the registry's own origin (proxies sometimes misstate it). */
export function uploadLocation(base: string, answer: HttpAnswer): string | undefined {
  const location = headerOf(answer.headers, 'location');
  if (!location || !URL.canParse(location, base)) return undefined;
  const url = new URL(location, base);
  const origin = new URL(base);
  url.protocol = origin.protocol;
  url.host = origin.host;
  return url.toString();
}

export function repositoryCount(answer: HttpAnswer): number | undefined {
  try {
    const body = JSON.parse(answer.body) as { repositories?: unknown };
    return Array.isArray(body.repositories) ? body.repositories.length : undefined;
  } catch {
    return undefined;
  }
}
