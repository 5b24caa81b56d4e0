import { describe, expect, it } from 'vitest';
import { berthError, describeCause, hasKind, isBerthError, type BerthError } from './errors';

describe('berth errors', () => {
  it('are plain objects that survive JSON and are recognised by their kind', () => {
    const error = berthError.invalidInput({ field: 'spec.name', message: 'name is empty' });
    expect(error).toEqual({ kind: 'InvalidInput', field: 'spec.name', message: 'name is empty' });
    const copy: unknown = JSON.parse(JSON.stringify(error));
    expect(isBerthError(copy)).toBe(true);
    expect(hasKind(copy, 'InvalidInput') && copy.field).toBe('spec.name');
    expect(hasKind(copy, 'Timeout')).toBe(false);
  });

  it('does not mistake other objects for berth errors', () => {
    for (const value of [
      null,
      undefined,
      'InvalidInput',
      new Error('x'),
      { kind: 'Nope', message: 'x' },
      { kind: 'Timeout' },
    ]) {
      expect(isBerthError(value)).toBe(false);
    }
  });

  it('can be matched exhaustively', () => {
    const describe = (e: BerthError): string => {
      switch (e.kind) {
        case 'InvalidInput':
          return e.field;
        case 'InvalidAnnouncement':
          return e.preview;
        case 'ConvergenceTimeout':
          return e.lagging.map((l) => l.nodeId).join();
        case 'GitAuth':
        case 'GitFetch':
        case 'UnknownRevision':
        case 'GitObject':
          return e.url;
        case 'TargetStateChanged':
          return e.target;
        case 'TargetIo':
          return e.operation;
        case 'UnsafeTree':
          return e.paths.map((p) => p.path).join();
        case 'NginxConfigInvalid':
          return e.output;
        case 'HookFailed':
          return e.hook;
        case 'NotFound':
          return e.ref;
        case 'Ambiguous':
          return e.matches.map((m) => m.id).join();
        case 'Conflict':
          return e.differences.join();
        case 'InUse':
          return e.users.map((u) => u.name).join();
        case 'RegistryAuth':
          return e.registry;
        case 'ImagePullFailed':
          return e.image;
        case 'CredentialHelper':
          return e.helper;
        case 'ReadinessTimeout':
          return e.lastLogs.join();
        case 'DockerUnreachable':
          return String(e.attempts.length);
        case 'DockerApi':
          return e.operation;
        case 'EtcdUnreachable':
          return e.endpoints.join();
        case 'Etcd':
          return e.operation;
        case 'Timeout':
          return String(e.timeoutMs);
        case 'Aborted':
          return e.operation;
        case 'GitCacheCorrupt':
          return e.problem;
        case 'GitHostUnknown':
          return e.fingerprint;
        case 'GitHostKeyChanged':
          return e.expected.join();
        default: {
          const never: never = e;
          return never;
        }
      }
    };
    expect(describe(berthError.timeout({ operation: 'ping', timeoutMs: 5, message: 'slow' }))).toBe(
      '5',
    );
  });

  it('describes any thrown value in one line', () => {
    expect(describeCause(new Error('boom'))).toBe('boom');
    expect(describeCause('plain')).toBe('plain');
    expect(describeCause({ a: 1 })).toBe('{"a":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeCause(cyclic)).toBe('[object Object]');
  });
});
