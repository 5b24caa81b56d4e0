// The origin's load per deploy: every berth method and floor reaches the bench's repository
// through one counting proxy (test/support/git-request-counter.ts), and reads what reached it
// around each update.
import type { BenchContext } from './context.ts';

/** What one update cost the git server. */
export interface OriginLoad {
  /** Upload-pack requests: advertisements + upload-pack POSTs. */
  readonly requests: number;
  /** Fetches: ref advertisements (one per fetch, whatever the protocol version). */
  readonly fetches: number;
}

/** The bench repository's URL as the measured methods reach it: through the counter, if any. */
export function originUrl(ctx: BenchContext): string {
  return ctx.origin ? ctx.origin.url(ctx.repo.url) : ctx.repo.url;
}

/** What reached the origin since the last call (undefined without a counter). */
export function takeOriginLoad(ctx: BenchContext): OriginLoad | undefined {
  if (!ctx.origin) return undefined;
  const counts = ctx.origin.take();
  return { requests: counts.origin, fetches: counts.advertisements };
}
