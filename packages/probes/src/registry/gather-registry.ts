import { registryAuthOf, parseChallenges, type RegistryAuth } from './challenge';
import { headerOf, type HttpAnswer, type HttpFailure } from './http-request';
import type { Access, CredentialsOutcome, RegistryFacts } from './registry-facts';
import {
  basicAuthorization,
  call,
  repositoryCount,
  tokenOf,
  tokenUrl,
  uploadLocation,
  type RegistryCredentials,
  type RegistrySession,
} from './registry-session';
import { isLoopbackHost, type RegistryTarget } from './registry-url';
import { tlsStateOf } from './tls-state';

export interface GatherOptions {
  readonly bases: readonly string[];
  readonly insecure: boolean;
  readonly credentials?: RegistryCredentials;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly timeoutMs: number;
  readonly checkPush: boolean;
  readonly repository?: string;
  readonly pushRepository: string;
  readonly signal?: AbortSignal;
}

/** Thrown inside the gathering only, caught by `gatherRegistryFacts`. */
class Aborted extends Error {}

function describeFailure(base: string, failure: HttpFailure): string {
  const message = failure.message.split('\n')[0] ?? '';
  return `${base}: ${failure.reason}${failure.code ? ` (${failure.code})` : ''}: ${message}`;
}

function accessOf(status: number): Access {
  if (status >= 200 && status < 300) return 'allowed';
  if (status === 401 || status === 403) return 'denied';
  if (status === 404) return 'not-found';
  return 'unknown';
}

async function ask(
  session: RegistrySession,
  pathOrUrl: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer | HttpFailure> {
  const answer = await call(session, pathOrUrl, init);
  if (!answer.ok && answer.failure.reason === 'aborted') throw new Aborted();
  return answer.ok ? answer.answer : answer.failure;
}

const isAnswer = (value: HttpAnswer | HttpFailure): value is HttpAnswer => 'status' in value;

function authOf(answer: HttpAnswer): RegistryAuth {
  if (answer.status !== 401) return { type: 'none' };
  const auth = registryAuthOf(parseChallenges(answer.headers['www-authenticate']));
  return auth.type === 'none' ? { type: 'other', scheme: '' } : auth;
}

async function anonymousToken(
  session: RegistrySession,
  auth: RegistryAuth,
  scopes: string[],
): Promise<{ state: RegistryFacts['anonymousToken']; token?: string }> {
  if (auth.type !== 'bearer') return { state: 'not-applicable' };
  const url = auth.realm !== undefined ? tokenUrl(auth.realm, auth.service, scopes) : undefined;
  if (!url) return { state: 'error' };
  const answer = await ask(session, url);
  if (!isAnswer(answer)) return { state: 'error' };
  const token = tokenOf(answer);
  if (token) return { state: 'granted', token };
  return { state: answer.status === 401 || answer.status === 403 ? 'refused' : 'error' };
}

async function checkPush(
  session: RegistrySession,
  repository: string,
  headers: Record<string, string>,
): Promise<RegistryFacts['push']> {
  const answer = await ask(session, `/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    headers: { ...headers, 'content-length': '0' },
  });
  if (!isAnswer(answer)) return { access: 'unknown', repository };
  if (answer.status !== 202) {
    const access = answer.status === 405 ? 'denied' : accessOf(answer.status);
    return { access: access === 'allowed' ? 'unknown' : access, repository, status: answer.status };
  }
  // Anyone may push. Cancel the upload at once, so nothing is left behind.
  const location = uploadLocation(session.base, answer);
  const cancelled = location
    ? await ask(session, location, { method: 'DELETE', headers })
    : undefined;
  const ok =
    cancelled !== undefined &&
    isAnswer(cancelled) &&
    cancelled.status >= 200 &&
    cancelled.status < 300;
  return { access: 'allowed', repository, status: 202, cleanup: ok ? 'cancelled' : 'failed' };
}

async function checkCredentials(
  session: RegistrySession,
  auth: RegistryAuth,
  credentials: RegistryCredentials,
  scope: string,
  insecure: boolean,
): Promise<{ outcome: CredentialsOutcome; note?: string }> {
  const basic = basicAuthorization(credentials);
  if (auth.type === 'none')
    return { outcome: 'not-required', note: 'the registry answers without credentials' };
  if (auth.type === 'basic') {
    const answer = await ask(session, '/v2/', { headers: { authorization: basic } });
    if (!isAnswer(answer)) return { outcome: 'unknown', note: answer.message };
    const access = accessOf(answer.status);
    return access === 'allowed'
      ? { outcome: 'accepted' }
      : access === 'denied'
        ? { outcome: 'rejected' }
        : { outcome: 'unknown', note: `GET /v2/ answered ${answer.status}` };
  }
  if (auth.type === 'bearer') {
    const url = auth.realm !== undefined ? tokenUrl(auth.realm, auth.service, [scope]) : undefined;
    if (!url)
      return {
        outcome: 'unknown',
        note: `the Bearer realm ${JSON.stringify(auth.realm)} is not a URL`,
      };
    // The token service may live elsewhere: it gets the password only over HTTPS or on loopback.
    const realm = new URL(url);
    if (realm.protocol !== 'https:' && !isLoopbackHost(realm.hostname) && !insecure) {
      return {
        outcome: 'withheld',
        note: `not sent: the token service ${realm.origin} is plain HTTP`,
      };
    }
    // Over https the request itself verifies the token service's certificate before it sends
    // the password (http-request.ts), whether or not the registry's own certificate verified.
    const answer = await ask(session, url, { headers: { authorization: basic } });
    if (!isAnswer(answer)) {
      return answer.reason === 'tls'
        ? {
            outcome: 'withheld',
            note: `not sent: TLS to the token service ${realm.origin} did not verify (${answer.code ?? answer.message})`,
          }
        : { outcome: 'unknown', note: answer.message };
    }
    const token = tokenOf(answer);
    if (!token)
      return answer.status === 401 || answer.status === 403
        ? { outcome: 'rejected' }
        : { outcome: 'unknown', note: `the token service answered ${answer.status}` };
    const api = await ask(session, '/v2/', { headers: { authorization: `Bearer ${token}` } });
    if (!isAnswer(api)) return { outcome: 'unknown', note: api.message };
    return accessOf(api.status) === 'allowed' ? { outcome: 'accepted' } : { outcome: 'rejected' };
  }
  return {
    outcome: 'unknown',
    note: `berth does not speak the ${auth.scheme || 'unnamed'} scheme`,
  };
}

/** Asks the registry everything `RegistryFacts` holds. Throws only `Aborted`. */
async function gather(target: RegistryTarget, options: GatherOptions): Promise<RegistryFacts> {
  const common = {
    timeoutMs: options.timeoutMs,
    ...(options.insecure && { insecure: true }),
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.signal && { signal: options.signal }),
  };
  const reasons: string[] = [];
  let found: { base: string; answer: HttpAnswer } | undefined;
  for (const base of options.bases) {
    const answer = await ask({ base, ...common }, '/v2/');
    if (isAnswer(answer)) {
      found = { base, answer };
      break;
    }
    reasons.push(describeFailure(base, answer));
  }
  const basics = { host: target.host, loopback: target.loopback, insecure: options.insecure };
  const notChecked = { access: 'not-checked' as const };
  if (!found) {
    return {
      ...basics,
      reachable: false,
      unreachableReasons: reasons,
      tls: 'none',
      challenges: [],
      auth: { type: 'none' },
      anonymousToken: 'not-applicable',
      catalog: notChecked,
      push: { ...notChecked, repository: options.pushRepository },
      credentials: options.credentials ? 'unknown' : 'not-given',
    };
  }
  const { base, answer } = found;
  const session: RegistrySession = { base, ...common };
  const scheme = base.startsWith('https:') ? 'https' : 'http';
  const tls = tlsStateOf(answer.tls);
  const auth = authOf(answer);
  const scopes = [
    `repository:${options.pushRepository}:pull,push`,
    'registry:catalog:*',
    ...(options.repository ? [`repository:${options.repository}:pull`] : []),
  ];
  const token = await anonymousToken(session, auth, scopes);
  const anonymous: Record<string, string> = token.token
    ? { authorization: `Bearer ${token.token}` }
    : {};

  const catalogAnswer = await ask(session, '/v2/_catalog?n=100', { headers: anonymous });
  const catalog: RegistryFacts['catalog'] = isAnswer(catalogAnswer)
    ? {
        access: accessOf(catalogAnswer.status),
        status: catalogAnswer.status,
        ...(catalogAnswer.status === 200 && { repositories: repositoryCount(catalogAnswer) ?? 0 }),
      }
    : { access: 'unknown' };
  let tags: RegistryFacts['tags'];
  if (options.repository !== undefined) {
    const tagsAnswer = await ask(session, `/v2/${options.repository}/tags/list`, {
      headers: anonymous,
    });
    tags = isAnswer(tagsAnswer)
      ? {
          repository: options.repository,
          access: accessOf(tagsAnswer.status),
          status: tagsAnswer.status,
        }
      : { repository: options.repository, access: 'unknown' };
  }
  const push = options.checkPush
    ? await checkPush(session, options.pushRepository, anonymous)
    : { ...notChecked, repository: options.pushRepository };

  // Secrets go only where they cannot be read on the way: TLS that verified, plain HTTP on
  // loopback, or a registry the caller called insecure. TLS that did not verify is not trusted,
  // on loopback too: whoever answered there is not known to be the registry.
  let credentials: { outcome: CredentialsOutcome; note?: string } = { outcome: 'not-given' };
  if (options.credentials) {
    const safe = options.insecure || (scheme === 'https' ? tls === 'verified' : target.loopback);
    credentials = safe
      ? await checkCredentials(
          session,
          auth,
          options.credentials,
          `repository:${options.repository ?? options.pushRepository}:pull`,
          options.insecure,
        )
      : {
          outcome: 'withheld',
          note: `not sent: TLS to ${target.host} did not verify (${answer.tls?.error ?? 'unknown'}); pass ca, or insecure: true`,
        };
  }
  const apiVersionHeader = headerOf(answer.headers, 'docker-distribution-api-version');
  return {
    ...basics,
    reachable: true,
    url: base,
    scheme,
    ...(scheme === 'http' && reasons.length > 0 && { httpsError: reasons.join('; ') }),
    tls,
    ...(answer.tls?.error !== undefined &&
      !answer.tls.authorized && { tlsError: answer.tls.error }),
    apiStatus: answer.status,
    ...(apiVersionHeader !== undefined && { apiVersionHeader }),
    challenges: parseChallenges(answer.headers['www-authenticate']),
    auth,
    anonymousToken: token.state,
    catalog,
    ...(tags && { tags }),
    push,
    credentials: credentials.outcome,
    ...(credentials.note !== undefined && { credentialsNote: credentials.note }),
  };
}

/** The facts, or `'aborted'` when the caller's signal fired first. */
export async function gatherRegistryFacts(
  target: RegistryTarget,
  options: GatherOptions,
): Promise<RegistryFacts | 'aborted'> {
  try {
    return await gather(target, options);
  } catch (cause) {
    if (cause instanceof Aborted) return 'aborted';
    throw cause;
  }
}
