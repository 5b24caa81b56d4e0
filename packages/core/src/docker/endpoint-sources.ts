import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerEndpointSource } from '../errors';
import { crypto } from '../util/dependencies';

/** TLS material for a tcp:// endpoint, as file contents. */
export interface DockerTlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** false only when a context says `SkipTLSVerify`. */
  readonly verify: boolean;
}

/** A place that named an engine endpoint. */
export interface EndpointCandidate {
  readonly source: DockerEndpointSource;
  readonly endpoint: string;
  readonly tls?: DockerTlsMaterial;
  readonly context?: string;
  /**
   * A configured source (explicit, DOCKER_HOST, a context) is authoritative: when it fails,
   * berth reports that rather than quietly reaching some other engine. Well-known sockets are
   * guesses: when one fails, the next is tried.
   */
  readonly authoritative: boolean;
}

export type SourceOutcome =
  | { readonly use: EndpointCandidate }
  | {
      readonly skip: {
        readonly source: DockerEndpointSource;
        readonly reason: string;
        readonly endpoint?: string;
      };
    };

/** What the strategies read: the environment and the home directory, captured once by connectDocker. */
export interface DiscoveryInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly uid: number | undefined;
  readonly defaultSocketPath: string;
  readonly explicitHost?: string | undefined;
  readonly explicitTls?: DockerTlsMaterial | undefined;
}

export type EndpointStrategy = (input: DiscoveryInput) => SourceOutcome;

const skip = (source: DockerEndpointSource, reason: string, endpoint?: string): SourceOutcome => ({
  skip: endpoint === undefined ? { source, reason } : { source, reason, endpoint },
});

function readIfExists(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

function tlsFromDir(dir: string, verify: boolean): DockerTlsMaterial {
  const ca = readIfExists(join(dir, 'ca.pem'));
  const cert = readIfExists(join(dir, 'cert.pem'));
  const key = readIfExists(join(dir, 'key.pem'));
  return { verify, ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

function dockerConfigDir(input: DiscoveryInput): string {
  return input.env.DOCKER_CONFIG || join(input.homeDir, '.docker');
}

const explicit: EndpointStrategy = (input) =>
  input.explicitHost
    ? {
        use: {
          source: 'options',
          endpoint: input.explicitHost,
          authoritative: true,
          ...(input.explicitTls && { tls: input.explicitTls }),
        },
      }
    : skip('options', 'no host option given');

const dockerHostEnv: EndpointStrategy = (input) => {
  const host = input.env.DOCKER_HOST;
  if (!host) return skip('DOCKER_HOST', 'DOCKER_HOST is not set');
  const tlsVerify = input.env.DOCKER_TLS_VERIFY;
  const useTls =
    host.startsWith('tcp://') && tlsVerify !== undefined && tlsVerify !== '' && tlsVerify !== '0';
  const certDir = input.env.DOCKER_CERT_PATH || dockerConfigDir(input);
  return {
    use: {
      source: 'DOCKER_HOST',
      endpoint: host,
      authoritative: true,
      ...(useTls && { tls: tlsFromDir(certDir, true) }),
    },
  };
};

interface ContextMeta {
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function contextCandidate(
  input: DiscoveryInput,
  source: 'DOCKER_CONTEXT' | 'config-context',
  name: string,
): SourceOutcome {
  if (name === 'default') return skip(source, `context "default" means the default socket`);
  const digest = crypto().createHash('sha256').update(name).digest('hex');
  const configDir = dockerConfigDir(input);
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as ContextMeta;
  } catch (cause) {
    return skip(
      source,
      `context "${name}" has no readable ${metaPath} (${(cause as Error).message})`,
    );
  }
  const docker = meta.Endpoints?.docker;
  if (!docker?.Host)
    return skip(source, `context "${name}" (${metaPath}) names no docker endpoint`);
  const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
  const tls = existsSync(tlsDir) ? tlsFromDir(tlsDir, docker.SkipTLSVerify !== true) : undefined;
  return {
    use: {
      source,
      endpoint: docker.Host,
      context: name,
      authoritative: true,
      ...(tls && { tls }),
    },
  };
}

const dockerContextEnv: EndpointStrategy = (input) => {
  const name = input.env.DOCKER_CONTEXT;
  return name
    ? contextCandidate(input, 'DOCKER_CONTEXT', name)
    : skip('DOCKER_CONTEXT', 'DOCKER_CONTEXT is not set');
};

const configContext: EndpointStrategy = (input) => {
  const path = join(dockerConfigDir(input), 'config.json');
  let current: unknown;
  try {
    current = (JSON.parse(readFileSync(path, 'utf8')) as { currentContext?: unknown })
      .currentContext;
  } catch {
    return skip('config-context', `no readable ${path}`);
  }
  if (typeof current !== 'string' || current === '')
    return skip('config-context', `${path} sets no currentContext`);
  return contextCandidate(input, 'config-context', current);
};

function socketStrategy(
  source: DockerEndpointSource,
  pathOf: (i: DiscoveryInput) => string | undefined,
  why: string,
): EndpointStrategy {
  return (input) => {
    const path = pathOf(input);
    if (!path) return skip(source, why);
    if (!existsSync(path)) return skip(source, `no socket at ${path}`, `unix://${path}`);
    return { use: { source, endpoint: `unix://${path}`, authoritative: false } };
  };
}

const rootlessSocket = socketStrategy(
  'rootless-socket',
  (i) => {
    if (i.uid === 0) return undefined;
    const runtimeDir =
      i.env.XDG_RUNTIME_DIR || (i.uid !== undefined ? `/run/user/${i.uid}` : undefined);
    return runtimeDir ? join(runtimeDir, 'docker.sock') : undefined;
  },
  'running as root: no rootless socket to look for',
);

const desktopSocket = socketStrategy(
  'desktop-socket',
  (i) => join(i.homeDir, '.docker', 'run', 'docker.sock'),
  '',
);

const defaultSocket = socketStrategy('default-socket', (i) => i.defaultSocketPath, '');

/** The order Docker's own CLI uses, then the well-known sockets. */
export const endpointStrategies: readonly EndpointStrategy[] = [
  explicit,
  dockerHostEnv,
  dockerContextEnv,
  configContext,
  rootlessSocket,
  desktopSocket,
  defaultSocket,
];

/** Where the engine would be looked for: the options of connectDocker that say so. */
export interface DiscoveryOptions {
  readonly host?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly homeDir?: string | undefined;
  readonly defaultSocketPath?: string | undefined;
}

/** The environment, home directory and user the strategies read, captured once. */
export function discoveryInput(
  options: DiscoveryOptions,
  explicitTls?: DockerTlsMaterial,
): DiscoveryInput {
  return {
    env: { ...(options.env ?? process.env) },
    homeDir: options.homeDir ?? homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    defaultSocketPath: options.defaultSocketPath ?? '/var/run/docker.sock',
    explicitHost: options.host,
    explicitTls,
  };
}

/** The first place connectDocker would try, found as it finds it. */
export interface DockerEndpointFound {
  /** `unix:///var/run/docker.sock`, `tcp://…`, `ssh://…` as the source wrote it. */
  readonly endpoint: string;
  /** Which place named it: `options`, `DOCKER_HOST`, a context, or a well-known socket. */
  readonly source: DockerEndpointSource;
  /** The context's name, when a context named it. */
  readonly context?: string;
  /** Whether it came with TLS material (`DOCKER_TLS_VERIFY`, a context's certificates). */
  readonly tls: boolean;
  /**
   * A configured place (options, `DOCKER_HOST`, a context): connectDocker reports its failure
   * rather than trying another. A well-known socket that does not answer is passed over.
   */
  readonly authoritative: boolean;
}

/**
 * Where {@link connectDocker} would try first, found by the same rules in the same order
 * (`host`, `DOCKER_HOST`, `DOCKER_CONTEXT`, the config's `currentContext`, the rootless, Docker
 * Desktop and default sockets), without connecting: it reads the environment and `~/.docker`,
 * and checks that a well-known socket exists, nothing more. `undefined` when no place names an
 * engine. Whether an engine answers there is connectDocker's to find out.
 *
 * @example
 * const found = findDockerEndpoint();
 * if (found?.endpoint.startsWith('unix://')) console.log(`engine socket from ${found.source}`);
 */
export function findDockerEndpoint(
  options: DiscoveryOptions = {},
): DockerEndpointFound | undefined {
  const input = discoveryInput(options);
  for (const strategy of endpointStrategies) {
    const outcome = strategy(input);
    if ('skip' in outcome) continue;
    const { source, endpoint, context, tls, authoritative } = outcome.use;
    return {
      endpoint,
      source,
      ...(context !== undefined && { context }),
      tls: tls !== undefined,
      authoritative,
    };
  }
  return undefined;
}
