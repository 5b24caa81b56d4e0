// Which etcd3 rejections mean "no member answered" (EtcdUnreachable: retry, report unhealthy) and
// which mean "a member said no" (Etcd). Pure logic on the errors etcd3 and gRPC raise; the same
// with real members going away is in watch-cluster.test.ts ("…the whole cluster is down…").
import { describe, expect, it } from 'vitest';
import { etcd3 } from '../util/dependencies';
import type { EtcdConnection } from './etcd';
import { toEtcdFailure } from './etcd-failure';

const connection: EtcdConnection = {
  endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'],
  source: 'options',
  serverVersion: '3.5.0',
  clusterId: '1',
  close: () => {},
};

/** An error as @grpc/grpc-js raises it: a plain Error with the numeric status as `code`. */
function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code, details: message.replace(/^\d+ \w+: /, '') });
}

describe('toEtcdFailure', () => {
  it('a watch stream gRPC drops (a plain error, status 14) is EtcdUnreachable, naming the endpoints', () => {
    const failure = toEtcdFailure(
      connection,
      'watch cdn/site',
      grpcError(14, '14 UNAVAILABLE: Connection dropped'),
    );
    expect(failure.kind).toBe('EtcdUnreachable');
    expect(failure).toMatchObject({ endpoints: connection.endpoints });
    expect(failure.message).toContain('14 UNAVAILABLE: Connection dropped');
    expect(failure.message).toContain('http://127.0.0.1:22379');
  });

  it.each([
    [1, '1 CANCELLED: Call cancelled'],
    [4, '4 DEADLINE_EXCEEDED: Deadline exceeded'],
    [13, '13 INTERNAL: Received RST_STREAM with code 2'],
    [14, '14 UNAVAILABLE: etcdserver: no leader'],
  ])('plain gRPC status %i is EtcdUnreachable', (code, message) => {
    expect(toEtcdFailure(connection, 'get k', grpcError(code, message)).kind).toBe(
      'EtcdUnreachable',
    );
  });

  it.each([
    [7, '7 PERMISSION_DENIED: etcdserver: permission denied'],
    [3, '3 INVALID_ARGUMENT: etcdserver: key is not provided'],
    [16, '16 UNAUTHENTICATED: etcdserver: invalid auth token'],
  ])('plain gRPC status %i, a member saying no, stays Etcd', (code, message) => {
    expect(toEtcdFailure(connection, 'put k', grpcError(code, message)).kind).toBe('Etcd');
  });

  it("etcd3's own typed errors keep their meaning, and an untyped error is not unreachable", () => {
    const { GRPCUnavailableError, EtcdPermissionDeniedError, EtcdWatchStreamEnded } = etcd3();
    expect(toEtcdFailure(connection, 'get k', new GRPCUnavailableError('down')).kind).toBe(
      'EtcdUnreachable',
    );
    expect(toEtcdFailure(connection, 'watch k', new EtcdWatchStreamEnded()).kind).toBe(
      'EtcdUnreachable',
    );
    expect(toEtcdFailure(connection, 'put k', new EtcdPermissionDeniedError('no')).kind).toBe(
      'Etcd',
    );
    expect(toEtcdFailure(connection, 'put k', new Error('something else')).kind).toBe('Etcd');
    expect(toEtcdFailure(connection, 'put k', 'not an error').kind).toBe('Etcd');
  });
});
