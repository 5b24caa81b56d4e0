import type { Readable } from 'node:stream';

/**
 * One step of a pull, as the engine reports it. Lines about one layer carry `layer`; lines
 * about the whole image (`Pulling from …`, `Digest: …`, `Status: …`) do not.
 */
export interface PullProgressEvent {
  /** The engine's words: `Pulling fs layer`, `Downloading`, `Extracting`, `Pull complete`, … */
  readonly status: string;
  /** The layer's short id (12 hex digits), on per-layer lines. */
  readonly layer?: string;
  /** Bytes done so far, on `Downloading` and `Extracting` lines. */
  readonly current?: number;
  /** Bytes in all, when the engine knows. */
  readonly total?: number;
}

/** An error line: `{"errorDetail":{"code":…,"message":…},"error":…}`. */
export interface PullStreamFailure {
  readonly message: string;
  /** Set only when the engine had a status for it (rare: most error lines carry no code). */
  readonly code?: number;
}

/** What one line of the engine's JSON-lines output says. */
export type PullLine =
  | { readonly kind: 'progress'; readonly event: PullProgressEvent }
  | { readonly kind: 'failure'; readonly failure: PullStreamFailure }
  | { readonly kind: 'other' }
  | { readonly kind: 'unreadable'; readonly text: string };

/** How reading the stream ended. */
export type PullStreamOutcome =
  | { readonly kind: 'finished' }
  | { readonly kind: 'failed'; readonly failure: PullStreamFailure }
  | { readonly kind: 'broken'; readonly message: string; readonly cause?: unknown }
  | { readonly kind: 'stopped' };

// The engine names a layer by its digest cut to 12 hex digits (stringid.TruncateID). The
// opening `Pulling from …` line carries the tag in the same field, so the shape tells them apart.
const SHORT_LAYER_ID = /^[0-9a-f]{12}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const byteCount = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/** Reads one line. Any `error` or `errorDetail` makes it a failure, whatever else it holds. */
export function parsePullLine(text: string): PullLine {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', text };
  }
  if (!isRecord(line)) return { kind: 'unreadable', text };
  const { error, errorDetail, status, id, progressDetail } = line;
  if (error !== undefined || errorDetail !== undefined) {
    const detail = isRecord(errorDetail) ? errorDetail : {};
    const fromDetail = typeof detail.message === 'string' ? detail.message.trim() : '';
    const fromError = typeof error === 'string' ? error.trim() : '';
    const code = typeof detail.code === 'number' && detail.code > 0 ? detail.code : undefined;
    return {
      kind: 'failure',
      failure: {
        message: fromDetail || fromError || 'the engine reported an error without a message',
        ...(code !== undefined && { code }),
      },
    };
  }
  if (typeof status !== 'string') return { kind: 'other' };
  const progress = isRecord(progressDetail) ? progressDetail : {};
  const current = byteCount(progress.current);
  const total = byteCount(progress.total);
  return {
    kind: 'progress',
    event: {
      status,
      ...(typeof id === 'string' && SHORT_LAYER_ID.test(id) && { layer: id }),
      ...(current !== undefined && { current }),
      ...(total !== undefined && { total }),
    },
  };
}

/**
 * Reads the engine's pull output to its end and settles with how it ended: `finished` only
 * when the stream ended cleanly with no error line (an error line is `failed`, however the
 * stream ends); `stopped` as soon as `signal` fires (the stream is destroyed, which drops the
 * connection and makes the engine cancel the pull). Rejects only if `onEvent` throws.
 */
export function followPullStream(
  stream: Readable,
  signal: AbortSignal,
  onEvent: ((event: PullProgressEvent) => void) | undefined,
): Promise<PullStreamOutcome> {
  return new Promise<PullStreamOutcome>((resolve, reject) => {
    let pending = '';
    let settled = false;
    const finish = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stream.removeListener('data', onData);
    };
    const settle = (outcome: PullStreamOutcome) => {
      if (settled) return;
      finish();
      if (outcome.kind !== 'finished') stream.destroy();
      resolve(outcome);
    };
    const throwOut = (thrown: unknown) => {
      if (settled) return;
      finish();
      stream.destroy();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the caller's own throw, handed back as it was
      reject(thrown);
    };
    const take = (text: string) => {
      if (settled || text.trim() === '') return;
      const line = parsePullLine(text);
      switch (line.kind) {
        case 'failure':
          settle({ kind: 'failed', failure: line.failure });
          return;
        case 'unreadable':
          settle({
            kind: 'broken',
            message: `the engine sent a line that is not JSON: ${line.text.slice(0, 200)}`,
          });
          return;
        case 'progress':
          try {
            onEvent?.(line.event);
          } catch (thrown) {
            throwOut(thrown);
          }
          return;
        case 'other':
          return;
      }
    };
    function onData(chunk: string) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0 && !settled) {
        take(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    }
    function onAbort() {
      settle({ kind: 'stopped' });
    }
    if (signal.aborted) {
      settle({ kind: 'stopped' });
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.once('end', () => {
      take(pending);
      pending = '';
      settle({ kind: 'finished' });
    });
    // `on`, not `once`: a destroyed socket may report more than one error, and none may go unheard.
    stream.on('error', (cause: unknown) =>
      settle({ kind: 'broken', message: 'the connection to the engine failed mid-pull', cause }),
    );
    stream.on('close', () =>
      settle({ kind: 'broken', message: 'the engine closed the stream before the pull finished' }),
    );
  });
}
