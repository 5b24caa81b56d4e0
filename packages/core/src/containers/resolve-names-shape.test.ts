// Type-level: the batch answer of resolveContainerNames cannot be misread as a list of Results.
// Checked by `tsc -p tsconfig.json` (an unused @ts-expect-error fails it); the iteration of the
// Result itself is stopped by the lint rule berth/no-iterated-result (test/lint-rules.test.ts).
import { describe, expectTypeOf, it } from 'vitest';
import type { DockerConnection } from '../docker/connection';
import type { ResolveRefError } from './resolve-name';
import { resolveContainerNames, type NameAnswer, type ResolvedNames } from './resolve-name';

/** Never called: it only has to compile, or fail to where marked. */
async function misreadings(docker: DockerConnection): Promise<void> {
  const found = await resolveContainerNames(docker, ['web']);
  if (found.isErr()) return;
  // @ts-expect-error the answer is an object with `answers`, not a list to iterate
  for (const answer of found.value) console.log(answer);
  // @ts-expect-error nor a list to index
  console.log(found.value[0]);
  for (const answer of found.value.answers) {
    // @ts-expect-error an answer is a plain object, not a Result to match
    answer.isOk();
    // The one way to read it: the error, or the name (and id).
    console.log(answer.ref, answer.error ? answer.error.kind : `${answer.name} ${answer.id}`);
  }
}

describe('resolveContainerNames shape', () => {
  it('resolves to { answers } of { ref, id, name } or { ref, error }', () => {
    expectTypeOf(misreadings).toBeFunction();
    expectTypeOf<ResolvedNames['answers']>().toEqualTypeOf<readonly NameAnswer[]>();
    expectTypeOf<Extract<NameAnswer, { error: ResolveRefError }>>().toHaveProperty('ref');
    expectTypeOf<Exclude<NameAnswer, { error: ResolveRefError }>['name']>().toEqualTypeOf<string>();
  });
});
