// Where `berth publish` writes: a data container's volume over the Docker API, or a local
// directory; and the nginx hooks around the swap.
import {
  containerTarget,
  directoryTarget,
  nginxConfigCheck,
  nginxReload,
  type ActivationHook,
  type ContentTarget,
  type DockerConnection,
} from '@berth/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { CommandContext } from '../context';
import { usageFailure, type CliFailure } from '../failure';

export interface TargetOptions {
  readonly container?: string;
  readonly path?: string;
  readonly dir?: string;
  readonly execIn?: string;
  readonly label?: Readonly<Record<string, string>>;
  readonly nginx?: string;
  readonly nginxConfig?: string;
  readonly mountPath?: string;
}

export interface ChosenTarget {
  readonly target: ContentTarget;
  /** Where the target's path is mounted in the nginx container, for the hooks. */
  readonly mountPath: string;
  readonly beforeActivate?: ActivationHook;
  readonly afterActivate?: ActivationHook;
}

/** The target options make sense together, or the usage error that says why not. */
export function checkTargetOptions(options: TargetOptions): CliFailure | undefined {
  if (options.container !== undefined && options.dir !== undefined) {
    return usageFailure('give --container (with --path) or --dir, not both', 'dir');
  }
  if (options.container === undefined && options.dir === undefined) {
    return usageFailure(
      'say where to publish: --container <data container> --path <volume path>, or --dir <directory>',
      'container',
    );
  }
  if (options.container !== undefined && options.path === undefined) {
    return usageFailure('--container needs --path: the volume to publish into, e.g. /www', 'path');
  }
  if (options.dir !== undefined && (options.path !== undefined || options.execIn !== undefined)) {
    return usageFailure('--path and --exec-in go with --container, not --dir', 'path');
  }
  return undefined;
}

export function chooseTarget(
  context: CommandContext,
  options: TargetOptions,
  timeoutMs: number | undefined,
): ResultAsync<ChosenTarget, CliFailure> {
  const invalid = checkTargetOptions(options);
  if (invalid) return errAsync(invalid);
  const mountPath = options.mountPath ?? options.path ?? options.dir ?? '';
  const needsDocker = options.container !== undefined || options.nginx !== undefined;
  const docker: ResultAsync<DockerConnection | undefined, CliFailure> = needsDocker
    ? context.docker()
    : okAsync(undefined);
  return docker.map((connection): ChosenTarget => {
    const target =
      connection && options.container !== undefined
        ? containerTarget(connection, {
            container: options.container,
            path: options.path ?? '',
            ...(options.execIn !== undefined && { execIn: options.execIn }),
            ...(options.label && { labels: options.label }),
            ...(timeoutMs !== undefined && { timeoutMs }),
          })
        : directoryTarget(options.dir ?? '');
    if (!connection || options.nginx === undefined) return { target, mountPath };
    const hook = {
      docker: connection,
      container: options.nginx,
      ...(options.nginxConfig !== undefined && { configFile: options.nginxConfig }),
    };
    return {
      target,
      mountPath,
      beforeActivate: nginxConfigCheck(hook),
      afterActivate: nginxReload(hook),
    };
  });
}
