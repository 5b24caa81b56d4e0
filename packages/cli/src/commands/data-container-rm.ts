import { removeDataContainer } from '@berth/core';
import type { CommandContext } from '../context';
import { withHint } from '../failure';
import type { Report } from '../report';

export interface RemoveOptions {
  readonly volumes?: boolean;
  readonly force?: boolean;
}

export function removeCommand(context: CommandContext, name: string, options: RemoveOptions) {
  return context
    .docker()
    .andThen((docker) =>
      removeDataContainer(docker, name, {
        ...(options.volumes && { volumes: true }),
        ...(options.force && { force: true }),
      }),
    )
    .mapErr((failure) =>
      failure.kind === 'Conflict'
        ? withHint(failure, `--force removes ${name} anyway (and stops it if it runs)`)
        : failure.kind === 'InUse'
          ? withHint(failure, `--force removes ${name} anyway (its users keep their mounts)`)
          : failure,
    )
    .map((removed): Report => ({
      document: { ...removed },
      text:
        `removed ${removed.name} (${removed.id.slice(0, 12)})` +
        (removed.removedVolumes.length > 0
          ? ` and ${removed.removedVolumes.length} volume${removed.removedVolumes.length === 1 ? '' : 's'}: ${removed.removedVolumes.join(', ')}`
          : options.volumes
            ? ''
            : ' (its volumes are kept: --volumes removes them)') +
        '\n',
      ids: [removed.id],
    }));
}
