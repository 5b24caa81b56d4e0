import { berthError, type InvalidInputError } from '../errors';
import type { PullProgressEvent } from '../docker/pull';
import { checkContainerName, parseImageRef } from '../docker/refs';
import type { PullPolicy } from './ensure-image';
import type { Readiness } from './readiness';
import { checkCommand, checkLabels, checkPullPolicy } from './spec-checks';

export interface PortMapping {
  readonly container: number;
  readonly host: number;
  /** Default `127.0.0.1`: berth never publishes on every interface unless told. */
  readonly hostIp?: string;
  readonly protocol?: 'tcp' | 'udp';
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface ServiceContainerSpec {
  readonly name: string;
  readonly image: string;
  /** Containers (names or ids, optionally `:ro`) whose volumes this one mounts, like `--volumes-from`. */
  readonly volumesFrom?: readonly string[];
  /** `host`, `none`, or an existing network's name. Default: the engine's default network. */
  readonly network?: string;
  /** Published ports; not with `host` or `none` networking. */
  readonly ports?: readonly PortMapping[];
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly restart?: RestartPolicy;
  readonly readiness?: Readiness;
  /** Leave the container in place when it fails to start or become ready, for inspection. */
  readonly keepOnFailure?: boolean;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  readonly onProgress?: (event: PullProgressEvent) => void;
  readonly signal?: AbortSignal;
}

const RESTART: readonly RestartPolicy[] = ['no', 'always', 'unless-stopped', 'on-failure'];

export interface Checked {
  readonly name: string;
  readonly volumesFrom: readonly { ref: string; mode: '' | ':ro' | ':rw' }[];
  readonly command?: readonly string[];
  readonly labels: Record<string, string>;
}

function invalid(field: string, message: string): InvalidInputError {
  return berthError.invalidInput({ field, message });
}

/** The spec checked field by field: the first problem, or what the run needs. */
export function checkServiceSpec(spec: ServiceContainerSpec): Checked | InvalidInputError {
  if (typeof spec !== 'object' || spec === null) return invalid('spec', 'spec must be an object');
  const name = checkContainerName(spec.name, 'spec.name');
  if (name.isErr()) return name.error;
  const image = parseImageRef(spec.image, 'spec.image');
  if (image.isErr()) return image.error;
  const volumesFrom: { ref: string; mode: '' | ':ro' | ':rw' }[] = [];
  for (const [i, entry] of (spec.volumesFrom ?? []).entries()) {
    const match = typeof entry === 'string' ? /^(.+?)(:ro|:rw)?$/.exec(entry) : null;
    const ref = match?.[1] ? checkContainerName(match[1], `spec.volumesFrom[${i}]`) : undefined;
    if (!ref || ref.isErr()) {
      return ref?.isErr()
        ? ref.error
        : invalid(
            `spec.volumesFrom[${i}]`,
            `spec.volumesFrom[${i}] must be a container name or id, optionally with :ro or :rw`,
          );
    }
    volumesFrom.push({ ref: ref.value, mode: (match?.[2] ?? '') as '' | ':ro' | ':rw' });
  }
  if (
    spec.network !== undefined &&
    (typeof spec.network !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$/.test(spec.network))
  ) {
    return invalid('spec.network', `spec.network "${String(spec.network)}" is not a network name`);
  }
  if (spec.ports?.length && (spec.network === 'host' || spec.network === 'none')) {
    return invalid(
      'spec.ports',
      `spec.ports cannot be published with network "${spec.network}": a host-network service binds its ports itself`,
    );
  }
  for (const [i, p] of (spec.ports ?? []).entries()) {
    const okPort = (n: unknown) =>
      Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
    if (!okPort(p.container) || !okPort(p.host))
      return invalid(`spec.ports[${i}]`, `spec.ports[${i}] needs whole port numbers 1–65535`);
  }
  let command: string[] | undefined;
  if (spec.command !== undefined) {
    const c = checkCommand(spec.command, 'spec.command');
    if (c.isErr()) return c.error;
    command = c.value;
  }
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    if (!/^[^=\0]+$/.test(key) || typeof value !== 'string' || value.includes('\0')) {
      return invalid(
        `spec.env.${key}`,
        `spec.env "${key}" must be a name without "=" and a string value`,
      );
    }
  }
  const labels = checkLabels(spec.labels ?? {}, 'spec.labels');
  if (labels.isErr()) return labels.error;
  if (spec.restart !== undefined && !RESTART.includes(spec.restart)) {
    return invalid('spec.restart', `spec.restart must be one of ${RESTART.join(', ')}`);
  }
  const pull = checkPullPolicy(spec.pull ?? 'missing', 'spec.pull');
  if (pull.isErr()) return pull.error;
  const r = spec.readiness;
  if (r !== undefined) {
    if ('http' in r) {
      const url = URL.canParse(r.http) ? new URL(r.http) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        return invalid(
          'spec.readiness.http',
          `spec.readiness.http "${r.http}" is not an http(s) URL`,
        );
    } else if (!('logLine' in r) || !(r.logLine instanceof RegExp)) {
      return invalid('spec.readiness', 'spec.readiness needs { http: url } or { logLine: RegExp }');
    }
    if (r.timeoutMs !== undefined && !(r.timeoutMs > 0))
      return invalid('spec.readiness.timeoutMs', 'spec.readiness.timeoutMs must be positive');
  }
  return { name: name.value, volumesFrom, ...(command && { command }), labels: labels.value };
}
