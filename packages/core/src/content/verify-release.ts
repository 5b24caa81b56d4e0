import { ResultAsync, errAsync, okAsync } from 'neverthrow';
import { berthError, type AbortedError, type GitError, type InvalidInputError } from '../errors';
import type { CommitSource } from './publish';
import { subtree } from './release-plan';
import { treeIdOf, type ReleaseCheck } from './release-manifest';
import type { ContentTarget, TargetError } from './target';

export interface VerifyReleaseOptions {
  readonly target: ContentTarget;
  /** The release to check (a full SHA); default the active one. */
  readonly commit?: string;
  /**
   * The repository, to also check that the manifest's tree is the commit's (its published
   * folder's) tree; without it the release is checked against its own manifest.
   */
  readonly source?: CommitSource;
  /** The folder of the repository the release holds (as published). */
  readonly subdir?: string;
  readonly signal?: AbortSignal;
}

export interface VerifyReport extends ReleaseCheck {
  /** Whether the commit checked is the active release. */
  readonly active: boolean;
  /** The tree id the repository says the release should have (with `source`). */
  readonly expectedTree?: string;
}

export type VerifyError = TargetError | GitError | InvalidInputError | AbortedError;

/**
 * The full check of a release: every file re-hashed against its blob id, no file missing or
 * extra, each mode and size as the manifest says, and (with `source`) the manifest's tree the
 * commit's own. A damaged release is an answer (`verified: false`, with every problem), not an
 * error; errors are for a target or repository that cannot be read.
 */
export function verifyRelease(
  options: VerifyReleaseOptions,
): ResultAsync<VerifyReport, VerifyError> {
  const { target, signal } = options;
  return target.state({ fresh: true, ...(signal && { signal }) }).andThen((state) => {
    const commit = options.commit ?? state.active;
    if (commit === undefined) {
      return errAsync(
        berthError.invalidInput({
          field: 'commit',
          message: `${target.description}: no release is active; name the commit to verify`,
        }),
      );
    }
    const source = options.source;
    const expected: ResultAsync<string | undefined, VerifyError> = source
      ? source
          .resolve(commit, signal ? { signal } : {})
          .andThen(() => source.listTree(commit))
          .map((entries) =>
            treeIdOf(
              subtree(entries, options.subdir ?? '').filter(
                (e) => e.type === 'blob' && e.mode !== '160000',
              ),
              commit,
            ),
          )
      : okAsync(undefined);
    return ResultAsync.combine([
      target.check(commit, { full: true, ...(signal && { signal }) }),
      expected,
    ] as const).map(([check, expectedTree]): VerifyReport => {
      const problems = [...check.problems];
      if (expectedTree !== undefined && check.manifest && check.manifest.tree !== expectedTree)
        problems.push(
          `the release holds tree ${check.manifest.tree}, the commit's is ${expectedTree}`,
        );
      return {
        ...check,
        verified: problems.length === 0,
        problems,
        active: state.active === commit,
        ...(expectedTree !== undefined && { expectedTree }),
      };
    });
  });
}
