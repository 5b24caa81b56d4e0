// `berth name` straight to the engine: Jenkins helpers call it many times per build, and from a
// cold start most of what the full lookup costs is not the lookup. When the engine is a local
// socket, each reference is one `GET /containers/<ref>/json` (what `docker inspect` asks), over
// a bare socket, without the library's connection (its `/version` ping, node:http, the bundle).
// It takes only the plain case: every reference a well-formed name or id, every answer a 200
// with the container. Anything else (a reference the engine does not know, an ambiguous prefix,
// no socket, a slow engine, an answer it does not expect) gives up and returns undefined, and the
// full lookup (name-full.ts) runs from the start and says what is wrong in its own words.
import { connect } from 'node:net';
import { findDockerEndpoint } from '@berth/core';
import { namesDocument, namesText, type FoundName } from './commands/name-report';
import { ExitCode } from './exit-codes';
import type { FastNameCall } from './fast-path';
import type { Outcome } from './report';

type Environment = Readonly<Record<string, string | undefined>>;

/** More references than this: the full lookup's one listing is cheaper than a request each. */
export const DIRECT_MAX_REFS = 8;

/**
 * A reference the direct path sends as it is: a container name (Docker's rule, with or without
 * its leading slash) or an id or id prefix of two or more characters. A subset of what the
 * library's parseContainerRef accepts, so a reference the library would refuse never gets an
 * answer here; the one-character id prefixes it also takes are left to the full lookup.
 */
export const DIRECT_REF = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * How long the direct path waits for the engine before the full lookup runs. A local engine
 * answers an inspect in milliseconds; one that does not within a second gets the full lookup
 * (its ping, and its words for what is wrong). With `--timeout`, at most half of it: the full
 * lookup gets what is left (bin-name.ts), so the whole command stays within `--timeout`.
 */
export const DIRECT_PATIENCE_MS = 1_000;

/** What is left of `--timeout` after `elapsedMs` (at least 1 ms); undefined without one. */
export function remainingMs(timeoutMs: number | undefined, elapsedMs: number): number | undefined {
  return timeoutMs === undefined ? undefined : Math.max(1, Math.ceil(timeoutMs - elapsedMs));
}

export function directPatienceMs(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? DIRECT_PATIENCE_MS : Math.min(DIRECT_PATIENCE_MS, timeoutMs / 2);
}

/** The socket `berth name` would reach, when that is a local socket; else undefined. */
function directSocket(call: FastNameCall, env: Environment): string | undefined {
  const found = findDockerEndpoint({
    env,
    ...(call.globals.dockerHost !== undefined && { host: call.globals.dockerHost }),
  });
  if (!found?.endpoint.startsWith('unix://')) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(found.endpoint).pathname);
  } catch {
    return undefined;
  }
  return path || undefined;
}

export interface Inspected {
  readonly Id?: unknown;
  readonly Name?: unknown;
}

/**
 * `GET /containers/<key>/json` on the socket, as HTTP/1.0: the engine then answers with a plain
 * body and closes the connection (no chunked encoding to read). The container, or undefined for
 * anything but a 200 with an `Id` and a `Name`.
 */
function inspect(
  socketPath: string,
  key: string,
  signal: AbortSignal,
): Promise<Inspected | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    const give = (answer: Inspected | undefined) => {
      signal.removeEventListener('abort', abandon);
      socket.destroy();
      resolve(answer);
    };
    const abandon = () => give(undefined);
    signal.addEventListener('abort', abandon);
    socket.on('error', abandon);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => give(parseInspectAnswer(Buffer.concat(chunks))));
    socket.write(
      `GET /containers/${key}/json HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n`,
    );
  });
}

/** A chunked body put back together; undefined when it is not well formed. */
function dechunk(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0 || eol + 2 + size > body.length) return undefined;
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** The container in an engine answer to an inspect: undefined unless a 200 with an `Id` and a `Name`. */
export function parseInspectAnswer(response: Buffer): Inspected | undefined {
  const split = response.indexOf('\r\n\r\n');
  if (split === -1) return undefined;
  const head = response.subarray(0, split).toString('latin1');
  if (!/^HTTP\/1\.[01] 200 /.test(head)) return undefined;
  // An engine answers an HTTP/1.0 request with a plain body; a proxy in front of it may still
  // pass the engine's chunked encoding on.
  const raw = response.subarray(split + 4);
  const body = /\r\ntransfer-encoding:\s*chunked/i.test(head) ? dechunk(raw) : raw;
  if (!body) return undefined;
  try {
    const found = JSON.parse(body.toString('utf8')) as Inspected | null;
    return found !== null && typeof found.Id === 'string' && typeof found.Name === 'string'
      ? found
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The outcome of a `berth name` call answered directly by the engine's socket, or undefined when
 * the full lookup must run (see the top of this file). Prints nothing itself.
 */
export async function directNames(
  call: FastNameCall,
  env: Environment,
): Promise<Outcome | undefined> {
  if (call.refs.length > DIRECT_MAX_REFS || !call.refs.every((ref) => DIRECT_REF.test(ref)))
    return undefined;
  const socketPath = directSocket(call, env);
  if (!socketPath) return undefined;
  const patience = AbortSignal.timeout(directPatienceMs(call.globals.timeoutMs));
  // The engine looks `/web` up as `web` (see the library's lookupKey): the slash is not sent.
  const answers = await Promise.all(
    call.refs.map((ref) => inspect(socketPath, ref.replace(/^\//, ''), patience)),
  );
  const found: FoundName[] = [];
  for (const [i, answer] of answers.entries()) {
    if (!answer) return undefined;
    const bare = (answer.Name as string).replace(/^\//, '');
    found.push({ ref: call.refs[i] as string, name: call.flags.leadingSlash ? `/${bare}` : bare });
  }
  return {
    exitCode: ExitCode.ok,
    document: namesDocument(found),
    text: namesText(found),
    errors: [],
  };
}
