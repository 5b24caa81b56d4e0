// etcd leases, kept alive by the caller one beat at a time: etcd3's automatic keep-alive gives
// up for good after a long outage, and a status writer must come back with a new lease instead.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { etcd3 } from '../util/dependencies';
import { etcdClientOf, type EtcdConnection } from './etcd';
import { etcdCall, type EtcdCallOptions, type EtcdFailure } from './etcd-failure';

/** A granted lease. Keys put with its `id` vanish when it expires or is revoked. */
export interface EtcdLease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** One keep-alive: `alive`, or `expired` when etcd no longer knows the lease (grant a new one). */
  keepAlive(options?: EtcdCallOptions): ResultAsync<'alive' | 'expired', EtcdFailure>;
  /** Ends the lease now: its keys are deleted. Revoking an expired lease is fine. */
  revoke(options?: EtcdCallOptions): ResultAsync<void, EtcdFailure>;
}

/** Grants a lease of `ttlSeconds` (at least 1). */
export function grantLease(
  connection: EtcdConnection,
  ttlSeconds: number,
  options: EtcdCallOptions = {},
): ResultAsync<EtcdLease, EtcdFailure> {
  const ttl = Math.max(1, Math.round(ttlSeconds));
  const lease = etcdClientOf(connection).lease(ttl, { autoKeepAlive: false });
  // etcd3 reports a failed grant both by rejecting and with `lost`; the rejection is handled below.
  lease.on('lost', () => undefined);
  return etcdCall(connection, 'lease grant', options, () => lease.grant()).map((id): EtcdLease => ({
    id,
    ttlSeconds: ttl,
    keepAlive: (o = {}) =>
      etcdCall(connection, `lease keep-alive ${id}`, o, () => lease.keepaliveOnce())
        .map(() => 'alive' as const)
        .orElse((failure) =>
          failure.cause instanceof etcd3().EtcdLeaseInvalidError
            ? okAsync('expired' as const)
            : errAsync(failure),
        ),
    revoke: (o = {}) =>
      etcdCall(connection, `lease revoke ${id}`, o, () => lease.revoke()).orElse((failure) =>
        failure.cause instanceof etcd3().EtcdLeaseInvalidError
          ? okAsync(undefined)
          : errAsync(failure),
      ),
  }));
}
