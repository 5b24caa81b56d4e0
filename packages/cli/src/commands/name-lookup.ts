// What `berth name` does once its command line is read, without commander: the full program
// (name.ts) and the fast path (fast-name.ts) both run this, so they cannot answer differently.
import { resolveContainerNames } from '@berth/core';
import type { CommandContext } from '../context';
import type { CliFailure } from '../failure';
import { failureJson } from '../failure';
import type { Report } from '../report';
import { namesDocument, namesText, type FoundName } from './name-report';

export interface NameOptions {
  readonly leadingSlash?: boolean;
}

type Answer = FoundName | { readonly ref: string; readonly error: CliFailure };

export function names(context: CommandContext, refs: readonly string[], options: NameOptions) {
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
        document: namesDocument(
          answers.map((a) => ('error' in a ? { ref: a.ref, error: failureJson(a.error) } : a)),
        ),
        text: namesText(answers.flatMap((a) => ('name' in a ? [a] : []))),
        failures,
      };
    });
}
