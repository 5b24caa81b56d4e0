import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { berthError, type BerthError } from '../errors';
import { dockerCall } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { execInContainer } from '../containers/exec';
import { inspectContainer } from '../containers/inspect';
import { runOneShotContainer } from '../containers/one-shot';
import type { ActivationHook } from './publish';

export interface NginxHookOptions {
  readonly docker: DockerConnection;
  /** The running nginx container (name or id); it mounts the configuration volume. */
  readonly container: string;
  /** The main file inside a release of the configuration, default `nginx.conf`. nginx runs with `-c <path>/current/nginx.conf`. */
  readonly configFile?: string;
  readonly timeoutMs?: number;
}

/**
 * A `beforeActivate` hook: `nginx -t` against the staged configuration, inside the nginx
 * container (same binary, same modules, same mounts). Relative `include`s resolve inside the
 * staged release, since nginx takes the directory of `-c` as its configuration prefix.
 * A refusal is `NginxConfigInvalid` with nginx's own message, and the old release keeps serving.
 */
export function nginxConfigCheck(options: NginxHookOptions): ActivationHook {
  return (context) => {
    const command = [
      'nginx',
      '-t',
      '-c',
      `${context.releasePath}/${options.configFile ?? 'nginx.conf'}`,
    ];
    const limits = {
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(context.signal && { signal: context.signal }),
    };
    // nginx stopped (or paused: the engine refuses an exec with 409 either way) still reads
    // current/ when it runs again: the check then runs in a throwaway container of its image
    // with its mounts, so a bad configuration never goes live unchecked. Only a container that
    // does not exist (yet) leaves nothing to check with.
    const checked = execInContainer(options.docker, options.container, command, limits).orElse(
      (error): ResultAsync<{ exitCode: number; stdout: string; stderr: string }, BerthError> =>
        error.kind === 'DockerApi' && error.statusCode === 409
          ? inspectContainer(options.docker, options.container).andThen((found) =>
              found
                ? runOneShotContainer(options.docker, {
                    image: found.image,
                    command,
                    volumesFrom: [found.id],
                    pull: 'never',
                    labels: { 'io.berth.check-for': found.name },
                    ...limits,
                  })
                : errAsync(error),
            )
          : errAsync(error),
    );
    return checked.andThen((result): ResultAsync<void, BerthError> =>
      result.exitCode === 0
        ? okAsync(undefined)
        : errAsync(
            berthError.nginxConfigInvalid({
              commit: context.commit,
              output: result.stderr.trim() || result.stdout.trim(),
              message: `nginx refused the configuration of ${context.commit}: ${(result.stderr.trim() || result.stdout.trim()).split('\n').find((l) => l.includes('emerg')) ?? result.stderr.trim()}`,
            }),
          ),
    );
  };
}

interface TopAnswer {
  Titles: string[];
  Processes: string[][];
}

function workerPids(top: TopAnswer): string[] {
  const pid = top.Titles.indexOf('PID');
  const cmd = top.Titles.findIndex((t) => t === 'CMD' || t === 'COMMAND');
  return top.Processes.filter((p) => (p[cmd] ?? '').includes('worker process')).map(
    (p) => p[pid] ?? '',
  );
}

/**
 * An `afterActivate` hook: SIGHUP to the nginx master, then waits until it is confirmed that the
 * new configuration serves: new workers are running and every old worker has exited (old workers
 * may answer for a moment after a reload). If nginx kept its old configuration — no new workers
 * within the timeout — the hook fails with `HookFailed`.
 */
export function nginxReload(options: NginxHookOptions): ActivationHook {
  const container = clientOf(options.docker).getContainer(options.container);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const top = () =>
    dockerCall(
      'nginx top',
      () => container.top({ ps_args: '-o pid,args' }) as Promise<TopAnswer>,
    ).map(workerPids);
  return (context) =>
    top().andThen((before) =>
      dockerCall('nginx reload', () => container.kill({ signal: 'HUP' })).andThen(() =>
        ResultAsync.fromSafePromise(
          (async () => {
            const deadline = Date.now() + timeoutMs;
            while (Date.now() < deadline && !context.signal?.aborted) {
              const now = await top();
              if (now.isOk() && now.value.length > 0 && now.value.every((p) => !before.includes(p)))
                return true;
              await new Promise((r) => setTimeout(r, 20));
            }
            return false;
          })(),
        ).andThen((confirmed) =>
          confirmed
            ? okAsync(undefined)
            : errAsync(
                berthError.hookFailed({
                  hook: 'afterActivate',
                  commit: context.commit,
                  message: `nginx in ${options.container} did not confirm the reload within ${timeoutMs} ms (old workers still running or no new ones)`,
                }),
              ),
        ),
      ),
    );
}
