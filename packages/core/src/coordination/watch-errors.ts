// The coordination kinds live in ../errors.ts with every other kind.
import { berthError, type ConvergenceTimeoutError, type InvalidAnnouncementError } from '../errors';

export {
  isBerthError as isBerthOrCoordinationError,
  type ConvergenceTimeoutError,
  type InvalidAnnouncementError,
  type LaggingNode,
} from '../errors';

/** The error kinds of the coordination modules. */
export type CoordinationError = InvalidAnnouncementError | ConvergenceTimeoutError;

/** Their constructors (the same functions as `berthError`'s). */
export const coordinationError = {
  invalidAnnouncement: berthError.invalidAnnouncement,
  convergenceTimeout: berthError.convergenceTimeout,
} as const;
