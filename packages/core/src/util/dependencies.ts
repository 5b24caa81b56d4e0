// The heavy third-party libraries, loaded the first time a function that needs them runs rather
// than when `@berth/core` is imported: etcd3 (gRPC), isomorphic-git and dockerode together cost
// most of a second of start-up, and a script that only parses a reference or names a container
// should not pay for etcd. Each is loaded with Node's `require` (all three are CommonJS), so the
// functions that use them stay synchronous; Node's module cache makes every later call free.
import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type * as IsomorphicGit from 'isomorphic-git';
import type * as IsomorphicGitHttp from 'isomorphic-git/http/node';
import type * as CryptoModule from 'node:crypto';
import type * as HttpsModule from 'node:https';
import type DockerodeClass from 'dockerode';
import type * as Ssh2Module from 'ssh2';

const requireDependency = createRequire(import.meta.url);

export function etcd3(): typeof Etcd3Module {
  return requireDependency('etcd3') as typeof Etcd3Module;
}

export function isomorphicGit(): typeof IsomorphicGit {
  return requireDependency('isomorphic-git') as typeof IsomorphicGit;
}

export function isomorphicGitHttp(): typeof IsomorphicGitHttp {
  return requireDependency('isomorphic-git/http/node') as typeof IsomorphicGitHttp;
}

export function dockerode(): typeof DockerodeClass {
  return requireDependency('dockerode') as typeof DockerodeClass;
}

/** ssh2 (the SSH git transport): its crypto binding is loaded only by a node that fetches over SSH. */
export function ssh2(): typeof Ssh2Module {
  return requireDependency('ssh2') as typeof Ssh2Module;
}

/**
 * node:https, and with it node:tls: loading TLS is the largest part of a cold `berth name`, and
 * an engine on a unix socket (or plain tcp) needs neither.
 */
export function https(): typeof HttpsModule {
  return requireDependency('node:https') as typeof HttpsModule;
}

/** node:crypto, for the few start-up paths that hash only in some set-ups (a Docker context). */
export function crypto(): typeof CryptoModule {
  return requireDependency('node:crypto') as typeof CryptoModule;
}
