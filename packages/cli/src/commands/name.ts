import { resolveContainerNames } from '@berth/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import type { CliFailure } from '../failure';
import { failureJson } from '../failure';
import type { Report } from '../report';
import { examples, type Runner } from '../runner';

interface NameOptions {
  readonly leadingSlash?: boolean;
}

type Answer =
  | { readonly ref: string; readonly name: string }
  | { readonly ref: string; readonly error: CliFailure };

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

function names(context: CommandContext, refs: readonly string[], options: NameOptions) {
  const deadline = context.deadline('resolve container names');
  return context
    .docker()
    .andThen((docker) =>
      resolveContainerNames(docker, refs, {
        ...(options.leadingSlash && { leadingSlash: true }),
        ...(deadline.signal && { signal: deadline.signal }),
        ...(context.globals.timeoutMs !== undefined && { timeoutMs: context.globals.timeoutMs }),
      }),
    )
    .mapErr(deadline.explain)
    .map((found): Report => {
      const answers: Answer[] = found.answers.map((answer) =>
        answer.error
          ? { ref: answer.ref, error: answer.error }
          : { ref: answer.ref, name: answer.name },
      );
      const failures = answers.flatMap((a) => ('error' in a ? [a.error] : []));
      return {
        document: {
          names: answers.map((a) =>
            'error' in a ? { ref: a.ref, error: failureJson(a.error) } : a,
          ),
        },
        text: answers.flatMap((a) => ('name' in a ? [`${a.name}\n`] : [])).join(''),
        failures,
      };
    });
}
