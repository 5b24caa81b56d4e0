import type { GitError } from '../errors';

// The git kinds live in ../errors.ts with every other kind; this module only keeps old imports working.
export {
  berthError,
  isBerthError as isBerthOrGitError,
  type GitAuthError,
  type GitError,
  type GitFetchError,
  type GitFetchReason,
  type GitObjectError,
  type UnknownRevisionError,
} from '../errors';
export type GitErrorKind = GitError['kind'];
