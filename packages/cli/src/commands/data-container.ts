import { Option, type Command } from 'commander';
import { collect, collectLabel } from '../options/parsers';
import { examples, type Runner } from '../runner';
import { createCommand, type CreateOptions } from './data-container-create';
import { removeCommand, type RemoveOptions } from './data-container-rm';

export function registerDataContainer(program: Command, runner: Runner): void {
  const group = program
    .command('data-container')
    .summary('create and remove data containers')
    .description(
      'create and remove data containers: never-run containers whose volumes others mount',
    )
    .addHelpText(
      'after',
      examples([
        'berth data-container create www-content --image busybox:1.36 --volume /etc/nginx --volume /www',
        'berth data-container rm www-content --volumes',
      ]),
    );

  group
    .command('create')
    .summary('create a data container (again: the same spec is left as it is)')
    .description(
      'docker create -v … --name <name> <image> /bin/true, safe to repeat: the same spec is left as it is',
    )
    .argument('<name>', 'the container name, e.g. www-content')
    .requiredOption('--image <image>', 'the image to create it from (any image with /bin/true)')
    .requiredOption(
      '--volume <path>',
      'an absolute path that becomes a volume (repeat for several)',
      collect,
    )
    .addOption(
      new Option('--pull <policy>', 'when to pull the image')
        .choices(['missing', 'always', 'never'])
        .default('missing'),
    )
    .option('--label <key=value>', 'an extra label (repeatable)', collectLabel)
    .option(
      '--replace',
      'recreate it when it exists with another spec (refused while running containers use its volumes; their content goes with it)',
    )
    .addHelpText(
      'after',
      examples([
        'berth data-container create www-content --image busybox:1.36 --volume /etc/nginx --volume /www',
        'berth data-container create www-content --image registry.example.com/base:2 --volume /www --pull always --replace',
        'berth data-container create www-content --image busybox:1.36 --volume /www --label team=web --json',
      ]),
    )
    .action((name: string, options: CreateOptions, command: Command) =>
      runner.execute(command, (context) => createCommand(context, name, options)),
    );

  group
    .command('rm')
    .summary('remove a data container')
    .description(
      'remove a data container (refused when it is running, is not labelled as a berth data container, or running containers use its volumes)',
    )
    .argument('<name>', 'the container name')
    .option('--volumes', 'remove its volumes too, and their content')
    .option(
      '--force',
      'remove it anyway: running, not made by berth as a data container, or used by running containers (they keep their mounts)',
    )
    .addHelpText(
      'after',
      examples([
        'berth data-container rm www-content',
        'berth data-container rm www-content --volumes --force',
      ]),
    )
    .action((name: string, options: RemoveOptions, command: Command) =>
      runner.execute(command, (context) => removeCommand(context, name, options)),
    );
}
