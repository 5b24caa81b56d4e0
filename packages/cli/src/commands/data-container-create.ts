import { createDataContainer, type DataContainer, type PullPolicy } from '@berth/core';
import type { CommandContext } from '../context';
import { withHint } from '../failure';
import { showPull } from '../render/pull-progress';
import { table } from '../render/table';
import type { Report } from '../report';

export interface CreateOptions {
  readonly image: string;
  readonly volume: readonly string[];
  readonly pull: PullPolicy;
  readonly label?: Readonly<Record<string, string>>;
  readonly replace?: boolean;
}

export function createCommand(context: CommandContext, name: string, options: CreateOptions) {
  const deadline = context.deadline(`create data container ${name}`);
  const line = context.progress();
  return context
    .docker()
    .andThen((docker) =>
      createDataContainer(docker, {
        name,
        image: options.image,
        volumes: options.volume,
        pull: options.pull,
        ...(options.label && { labels: options.label }),
        ...(options.replace && { replace: true }),
        onProgress: showPull(line, options.image),
        ...(deadline.signal && { signal: deadline.signal }),
      }),
    )
    .mapErr((failure) =>
      failure.kind === 'Conflict'
        ? withHint(failure, '--replace recreates it (its volumes and their content go with it)')
        : deadline.explain(failure),
    )
    .map((container): Report => ({
      document: { ...container },
      text: createdText(container),
      ids: [container.id],
    }));
}

function createdText(container: DataContainer): string {
  const head = container.created
    ? `created ${container.name} (${container.id.slice(0, 12)}) from ${container.image}\n`
    : `${container.name} (${container.id.slice(0, 12)}) is already there with this spec\n`;
  return (
    head +
    table(
      ['volume', 'docker volume'],
      container.volumes.map((v) => [v.path, v.volumeName]),
    )
  );
}
