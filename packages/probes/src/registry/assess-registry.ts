import type { Finding } from '../findings';
import type { RegistryFacts } from './registry-facts';

/** Every finding id `assessRegistry` can give; stable, documented in docs/probes.md. */
export const REGISTRY_FINDING_IDS = [
  'registry.unreachable',
  'registry.not-a-registry',
  'registry.anonymous-push',
  'registry.push-check-left-upload',
  'registry.anonymous-pull',
  'registry.catalog-exposed',
  'registry.anonymous-token',
  'registry.basic-over-plain-http',
  'registry.plain-http',
  'registry.missing-api-version-header',
  'registry.tls-unverified',
  'registry.credentials-rejected',
  'registry.credentials-withheld',
] as const;

export type RegistryFindingId = (typeof REGISTRY_FINDING_IDS)[number];

export interface RegistryFinding extends Finding {
  readonly id: RegistryFindingId;
}

const AUTH_FIX =
  'put the registry behind a proxy that demands credentials (secureRegistryConfig / runSecuredRegistry: nginx with HTTP Basic auth over TLS), or configure its token auth';

function reachability(facts: RegistryFacts): RegistryFinding[] {
  if (!facts.reachable) {
    return [
      {
        id: 'registry.unreachable',
        severity: 'warn',
        message: `nothing answered at ${facts.host}: ${(facts.unreachableReasons ?? []).join('; ') || 'no address to try'}`,
        fix: 'check the address and port, that the registry runs, and that a firewall lets you through',
      },
    ];
  }
  if (facts.apiStatus !== 200 && facts.apiStatus !== 401) {
    return [
      {
        id: 'registry.not-a-registry',
        severity: 'warn',
        message: `GET ${facts.url ?? ''}/v2/ answered ${facts.apiStatus ?? '?'}, not 200 or 401: this is not a Docker registry (API v2), or a proxy hides it`,
        fix: 'point the probe at the registry itself; a proxy in front must pass /v2/ through',
      },
    ];
  }
  return [];
}

function exposure(facts: RegistryFacts): RegistryFinding[] {
  const out: RegistryFinding[] = [];
  if (facts.push.access === 'allowed') {
    out.push({
      id: 'registry.anonymous-push',
      severity: 'critical',
      message: `anyone who can reach ${facts.host} can push images: an anonymous upload to ${facts.push.repository} was accepted (202)`,
      fix: AUTH_FIX,
    });
    if (facts.push.cleanup === 'failed') {
      out.push({
        id: 'registry.push-check-left-upload',
        severity: 'warn',
        message: `the probe's upload to ${facts.push.repository} could not be cancelled; the registry purges stale uploads itself (after 7 days by default)`,
        fix: 'nothing to do; or restart the registry with storage.maintenance.uploadpurging enabled',
      });
    }
  }
  const pullable =
    facts.catalog.access === 'allowed' ||
    facts.tags?.access === 'allowed' ||
    facts.tags?.access === 'not-found';
  if (pullable) {
    out.push({
      id: 'registry.anonymous-pull',
      severity: facts.loopback ? 'info' : 'warn',
      message: `anyone who can reach ${facts.host} can read its images without credentials`,
      fix: `${AUTH_FIX}; keep it anonymous only for images meant to be public`,
    });
  }
  if (facts.catalog.access === 'allowed') {
    out.push({
      id: 'registry.catalog-exposed',
      severity: 'warn',
      message: `GET /v2/_catalog lists the registry's repositories (${facts.catalog.repositories ?? 0} now) to anyone`,
      fix: 'demand credentials for /v2/_catalog (it is under /v2/, so a proxy with auth on /v2/ covers it)',
    });
  }
  if (facts.anonymousToken === 'granted') {
    out.push({
      id: 'registry.anonymous-token',
      severity: 'info',
      message: `the token service of ${facts.host} hands out tokens without credentials; what they allow decides the other findings`,
    });
  }
  return out;
}

function transport(facts: RegistryFacts): RegistryFinding[] {
  const out: RegistryFinding[] = [];
  if (facts.scheme === 'http' && facts.auth.type === 'basic') {
    out.push({
      id: 'registry.basic-over-plain-http',
      severity: facts.loopback ? 'warn' : 'critical',
      message: `${facts.host} asks for HTTP Basic credentials over plain HTTP: every push and pull sends the password in clear${facts.loopback ? ' (on loopback only, here)' : ''}`,
      fix: 'serve the registry (or its proxy) over TLS only and close the plain-HTTP port',
    });
  } else if (facts.scheme === 'http' && !facts.loopback) {
    out.push({
      id: 'registry.plain-http',
      severity: 'warn',
      message: `${facts.host} is served over plain HTTP: images and tokens can be read and changed on the way`,
      fix: 'serve it over TLS; Docker clients then need no insecure-registries entry',
    });
  }
  if (facts.scheme === 'https' && (facts.tls === 'self-signed' || facts.tls === 'unverified')) {
    out.push({
      id: 'registry.tls-unverified',
      severity: 'warn',
      message: `the TLS certificate of ${facts.host} did not verify (${facts.tlsError ?? facts.tls})${facts.tls === 'self-signed' ? ': it is self-signed' : ''}`,
      fix: `give clients the CA (Docker: /etc/docker/certs.d/${facts.host}/ca.crt; this probe: the ca option), or use a certificate from a CA they trust`,
    });
  }
  if (
    facts.reachable &&
    (facts.apiStatus === 200 || facts.apiStatus === 401) &&
    facts.apiVersionHeader === undefined
  ) {
    out.push({
      id: 'registry.missing-api-version-header',
      severity: 'warn',
      message: `GET /v2/ answered ${facts.apiStatus} without Docker-Distribution-Api-Version: a proxy answers for the registry without it`,
      fix: "add it on the proxy's own answers too (nginx: add_header 'Docker-Distribution-Api-Version' 'registry/2.0' always)",
    });
  }
  return out;
}

function credentials(facts: RegistryFacts): RegistryFinding[] {
  if (facts.credentials === 'rejected') {
    return [
      {
        id: 'registry.credentials-rejected',
        severity: 'warn',
        message: `${facts.host} rejected the credentials given`,
        fix: 'check the user name and password (for nginx: the htpasswd entry, bcrypt)',
      },
    ];
  }
  if (facts.credentials === 'withheld') {
    return [
      {
        id: 'registry.credentials-withheld',
        severity: 'info',
        message: `the credentials were not sent to ${facts.host}: ${facts.credentialsNote ?? 'the connection is not trusted'}`,
        fix: 'pass the CA as ca, or insecure: true if you accept the risk',
      },
    ];
  }
  return [];
}

/** Judges what `probeRegistry` saw. Pure: the same facts always give the same findings. */
export function assessRegistry(facts: RegistryFacts): RegistryFinding[] {
  const reach = reachability(facts);
  if (!facts.reachable) return reach;
  return [...reach, ...exposure(facts), ...transport(facts), ...credentials(facts)];
}
