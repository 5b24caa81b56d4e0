import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followPullStream, parsePullLine, type PullProgressEvent } from './pull-stream';

// Lines as dockerd 20.10 sends them for a pull (recorded here, then trimmed).
const RECORDED = [
  '{"status":"Pulling from berth-pull/a","id":"1"}',
  '{"status":"Already exists","progressDetail":{},"id":"79644b2690ca"}',
  '{"status":"Pulling fs layer","progressDetail":{},"id":"0f3a1d4e7b21"}',
  '{"status":"Downloading","progressDetail":{"current":524288,"total":3001234},"progress":"[========>  ]","id":"0f3a1d4e7b21"}',
  '{"status":"Download complete","progressDetail":{},"id":"0f3a1d4e7b21"}',
  '{"status":"Extracting","progressDetail":{"current":3001234,"total":3001234},"id":"0f3a1d4e7b21"}',
  '{"status":"Pull complete","progressDetail":{},"id":"0f3a1d4e7b21"}',
  '{"status":"Digest: sha256:f6e1000b90593037d3fc3a9c3867d67fe0ede379aee20b6f3ffa1ccde0b365b2"}',
  '{"status":"Status: Downloaded newer image for 127.0.0.1:5000/berth-pull/a:1"}',
];
const ERROR_LINE =
  '{"errorDetail":{"message":"filesystem layer verification failed for digest sha256:abc"},"error":"filesystem layer verification failed for digest sha256:abc"}';

describe('parsePullLine', () => {
  it('types progress lines: layer ids, byte counts, whole-image lines without a layer', () => {
    expect(parsePullLine(RECORDED[0] as string)).toEqual({
      kind: 'progress',
      event: { status: 'Pulling from berth-pull/a' },
    });
    expect(parsePullLine(RECORDED[3] as string)).toEqual({
      kind: 'progress',
      event: { status: 'Downloading', layer: '0f3a1d4e7b21', current: 524288, total: 3001234 },
    });
    expect(parsePullLine(RECORDED[7] as string)).toEqual({
      kind: 'progress',
      event: { status: expect.stringMatching(/^Digest: sha256:/) },
    });
  });

  it('makes any line with error or errorDetail a failure, with the detail first', () => {
    expect(parsePullLine(ERROR_LINE)).toEqual({
      kind: 'failure',
      failure: { message: 'filesystem layer verification failed for digest sha256:abc' },
    });
    expect(parsePullLine('{"status":"Downloading","error":"boom"}')).toEqual({
      kind: 'failure',
      failure: { message: 'boom' },
    });
    expect(parsePullLine('{"errorDetail":{"code":401,"message":"unauthorized"}}')).toEqual({
      kind: 'failure',
      failure: { message: 'unauthorized', code: 401 },
    });
    expect(parsePullLine('{"errorDetail":{}}')).toMatchObject({ kind: 'failure' });
  });

  it('tells apart lines without a status and lines that are not JSON objects', () => {
    expect(parsePullLine('{"aux":{"Tag":"1"}}')).toEqual({ kind: 'other' });
    expect(parsePullLine('<html>')).toEqual({ kind: 'unreadable', text: '<html>' });
    expect(parsePullLine('[1,2]')).toMatchObject({ kind: 'unreadable' });
  });
});

/** Feeds `text` into a stream in pieces of `size` characters, then ends it (or not). */
function feed(stream: PassThrough, text: string, size: number, end = true) {
  for (let i = 0; i < text.length; i += size) stream.write(text.slice(i, i + size));
  if (end) stream.end();
}

describe('followPullStream', () => {
  it('delivers every event in order however the bytes are split, and finishes at the end', async () => {
    for (const size of [1, 7, 64, 100_000]) {
      const stream = new PassThrough();
      const events: PullProgressEvent[] = [];
      const outcome = followPullStream(stream, new AbortController().signal, (e) => events.push(e));
      feed(stream, `${RECORDED.join('\n')}\n`, size);
      expect(await outcome).toEqual({ kind: 'finished' });
      expect(events.map((e) => e.status)).toEqual(
        RECORDED.map((l) => (JSON.parse(l) as { status: string }).status),
      );
    }
  });

  it('reads a last line that has no newline', async () => {
    const stream = new PassThrough();
    const events: PullProgressEvent[] = [];
    const outcome = followPullStream(stream, new AbortController().signal, (e) => events.push(e));
    feed(stream, `${RECORDED[0]}\n${ERROR_LINE}`, 10);
    expect(await outcome).toMatchObject({ kind: 'failed' });
    expect(events).toHaveLength(1);
  });

  it('fails on an error line even when the stream then ends normally', async () => {
    const stream = new PassThrough();
    const outcome = followPullStream(stream, new AbortController().signal, undefined);
    feed(stream, `${RECORDED.slice(0, 4).join('\n')}\n${ERROR_LINE}\n${RECORDED[8]}\n`, 33);
    expect(await outcome).toEqual({
      kind: 'failed',
      failure: { message: 'filesystem layer verification failed for digest sha256:abc' },
    });
  });

  it('calls a stream that closes before its end broken, not finished', async () => {
    const stream = new PassThrough();
    const outcome = followPullStream(stream, new AbortController().signal, undefined);
    feed(stream, `${RECORDED[0]}\n`, 100, false);
    stream.destroy();
    expect(await outcome).toMatchObject({ kind: 'broken' });

    const failing = new PassThrough();
    const failed = followPullStream(failing, new AbortController().signal, undefined);
    failing.destroy(new Error('socket hang up'));
    expect(await failed).toMatchObject({ kind: 'broken', cause: expect.any(Error) });
  });

  it('calls a line that is not JSON broken', async () => {
    const stream = new PassThrough();
    const outcome = followPullStream(stream, new AbortController().signal, undefined);
    feed(stream, `${RECORDED[0]}\nnot json\n`, 100, false);
    expect(await outcome).toMatchObject({
      kind: 'broken',
      message: expect.stringContaining('not JSON'),
    });
    expect(stream.destroyed).toBe(true);
  });

  it('stops and destroys the stream when the signal fires, mid-stream or before', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const events: PullProgressEvent[] = [];
    const outcome = followPullStream(stream, controller.signal, (e) => {
      events.push(e);
      controller.abort();
    });
    feed(stream, `${RECORDED.join('\n')}\n`, 100_000, false);
    expect(await outcome).toEqual({ kind: 'stopped' });
    expect(events).toHaveLength(1);
    expect(stream.destroyed).toBe(true);

    const early = new PassThrough();
    const aborted = AbortSignal.abort();
    expect(await followPullStream(early, aborted, undefined)).toEqual({ kind: 'stopped' });
    expect(early.destroyed).toBe(true);
  });

  it('rejects with what onProgress threw, and stops reading', async () => {
    const stream = new PassThrough();
    const thrown = new Error('progress bar broke');
    const outcome = followPullStream(stream, new AbortController().signal, () => {
      throw thrown;
    });
    feed(stream, `${RECORDED.join('\n')}\n`, 100_000, false);
    await expect(outcome).rejects.toBe(thrown);
    expect(stream.destroyed).toBe(true);
  });
});
