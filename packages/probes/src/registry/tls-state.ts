import type { TlsState } from './registry-facts';

const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** A TLS answer's trust, from Node's `authorized` / `authorizationError`. */
export function tlsStateOf(tls: { authorized: boolean; error?: string } | undefined): TlsState {
  if (!tls) return 'none';
  if (tls.authorized) return 'verified';
  return tls.error !== undefined && SELF_SIGNED.has(tls.error) ? 'self-signed' : 'unverified';
}
