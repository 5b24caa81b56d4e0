import type { AuthChallenge, RegistryAuth } from './challenge';

/** How far a TLS connection was trusted. */
export type TlsState = 'verified' | 'self-signed' | 'unverified' | 'none';

/** What an anonymous (or credentialed) request was allowed to do. */
export type Access = 'allowed' | 'denied' | 'not-found' | 'unknown' | 'not-checked';

/**
 * What a credentials check came to. `not-required`: the registry asks for none (it cannot tell
 * good ones from bad). `withheld`: not sent over a connection that could leak them.
 */
export type CredentialsOutcome =
  'not-given' | 'accepted' | 'rejected' | 'not-required' | 'withheld' | 'unknown';

/** Everything `probeRegistry` saw; `assessRegistry` judges it. Plain data, JSON-safe. */
export interface RegistryFacts {
  /** `hostname[:port]`. */
  readonly host: string;
  readonly loopback: boolean;
  /** The caller said the registry is insecure (plain HTTP or unverified TLS allowed). */
  readonly insecure: boolean;
  readonly reachable: boolean;
  /** Why nothing answered, per base URL tried. */
  readonly unreachableReasons?: readonly string[];
  /** The base URL that answered: `https://127.0.0.1:5443`. */
  readonly url?: string;
  readonly scheme?: 'https' | 'http';
  /** When HTTP answered: why HTTPS did not. */
  readonly httpsError?: string;
  readonly tls: TlsState;
  /** Node's verification code when TLS did not verify (`DEPTH_ZERO_SELF_SIGNED_CERT`, …). */
  readonly tlsError?: string;
  /** The status of `GET /v2/` without credentials. */
  readonly apiStatus?: number;
  /** The `Docker-Distribution-Api-Version` header on that answer. */
  readonly apiVersionHeader?: string;
  readonly challenges: readonly AuthChallenge[];
  readonly auth: RegistryAuth;
  /** For a Bearer registry: did its token service give a token to nobody in particular? */
  readonly anonymousToken: 'granted' | 'refused' | 'error' | 'not-applicable';
  /** `GET /v2/_catalog` without credentials. */
  readonly catalog: {
    readonly access: Access;
    readonly status?: number;
    readonly repositories?: number;
  };
  /** `GET /v2/<repository>/tags/list` without credentials, when a repository was named. */
  readonly tags?: {
    readonly repository: string;
    readonly access: Access;
    readonly status?: number;
  };
  /** `POST /v2/<repository>/blobs/uploads/` without credentials. */
  readonly push: {
    readonly access: Access;
    readonly repository: string;
    readonly status?: number;
    /** For an accepted upload: whether cancelling it worked. */
    readonly cleanup?: 'cancelled' | 'failed';
  };
  readonly credentials: CredentialsOutcome;
  /** Why credentials were withheld or their check failed. */
  readonly credentialsNote?: string;
}
