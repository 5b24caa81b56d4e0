import type { Command } from 'commander';
import { examples, type Runner } from '../runner';
import { names, type NameOptions } from './name-lookup';

export function registerName(program: Command, runner: Runner): void {
  program
    .command('name')
    .summary('print the names of containers given by id, id prefix or name')
    .description(
      "print the name of each container (full id, unique id prefix or name), like docker inspect --format '{{.Name}}'",
    )
    .argument('<ref...>', 'container ids, id prefixes or names')
    .option('--leading-slash', 'print /web, as Docker stores it, instead of web')
    .addHelpText(
      'after',
      examples([
        'berth name 3f2a9c1b07d4',
        'berth name $(docker ps -q) --leading-slash',
        "berth name 3f2a9c1b07d4 web --json | jq -r '.names[].name'",
      ]) +
        '\n\nOne name per line, in the order of the references. A reference that matches nothing (or\nseveral containers) is reported on stderr and makes the exit code 3.',
    )
    .action((refs: string[], options: NameOptions, command: Command) =>
      runner.execute(command, (context) => names(context, refs, options)),
    );
}
