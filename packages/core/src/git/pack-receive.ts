/**
 * Where berth takes over from isomorphic-git in a fetch. isomorphic-git negotiates (refs,
 * wants, haves, shallow, deepen) and reads the server's answer up to the pack; then it would
 * collect the whole pack in memory and index it there (its source carries a TODO saying so):
 * the first fetch of a 1 GB tree grew RSS by ≈ 2 GB. So the answer to the upload-pack request
 * is read here first: its pkt-lines before the pack (shallow, unshallow, ACK, NAK) go through to
 * isomorphic-git unchanged; the side-band's pack data (band 1) goes to disk as it arrives and is
 * indexed from there (`pack-ingest.ts`); progress (band 2) is dropped; a fatal message (band 3)
 * fails the fetch. isomorphic-git then sees an answer without a pack, and writes none.
 *
 * The same for every transport: HTTP and SSH both hand isomorphic-git the answer as a body.
 */
import type { GitHttpResponse, HttpClient } from 'isomorphic-git';
import { PackIngest, type IngestOptions } from './pack-ingest';

const BAND_PACK = 1;
const BAND_PROGRESS = 2;
const BAND_ERROR = 3;

/** The server's side-band said the fetch failed (`fatal: …`). */
function serverError(payload: Buffer): Error {
  const said = payload.toString('utf8').trim();
  return new Error(`the server stopped sending the pack: ${said || 'no reason given'}`);
}

/**
 * The upload-pack answer `body` with its pack taken out: pkt-lines before the pack are passed
 * on; the pack is stored through {@link PackIngest} before the body ends.
 */
export async function* divertPack(
  body: AsyncIterableIterator<Uint8Array>,
  options: IngestOptions,
): AsyncGenerator<Uint8Array> {
  let ingest: PackIngest | undefined;
  let pending = Buffer.alloc(0);
  /** Once bytes that are no pkt-line came, the rest is passed on for isomorphic-git to judge. */
  let raw = false;
  try {
    for await (const chunk of body) {
      if (raw) {
        yield chunk;
        continue;
      }
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      const through: Buffer[] = [];
      let at = 0;
      while (pending.length - at >= 4) {
        const hex = pending.toString('latin1', at, at + 4);
        const length = /^[0-9a-fA-F]{4}$/.test(hex) ? parseInt(hex, 16) : Number.NaN;
        if (Number.isNaN(length) || (length > 1 && length < 4)) {
          if (ingest) throw new Error(`the pack's side-band has a malformed pkt-line: "${hex}"`);
          raw = true;
          break;
        }
        // Flush (0000) and delimiter (0001) packets.
        if (length < 4) {
          if (!ingest) through.push(pending.subarray(at, at + 4));
          at += 4;
          continue;
        }
        if (pending.length - at < length) break;
        const band = pending[at + 4];
        if (!ingest && (band === BAND_PACK || band === BAND_PROGRESS || band === BAND_ERROR)) {
          // The side-band starts: what isomorphic-git needs has been passed on.
          if (through.length > 0) yield Buffer.concat(through.splice(0));
          ingest = await PackIngest.start(options);
        }
        if (!ingest) {
          through.push(pending.subarray(at, at + length));
        } else if (band === BAND_PACK) {
          await ingest.append(pending.subarray(at + 5, at + length));
        } else if (band === BAND_ERROR) {
          throw serverError(pending.subarray(at + 5, at + length));
        } else if (band !== BAND_PROGRESS) {
          throw new Error(`the pack's side-band has an unknown band ${String(band)}`);
        }
        at += length;
      }
      if (raw) through.push(pending.subarray(at));
      // Copied: `pending` may be a slice of a much larger buffer.
      pending = raw ? Buffer.alloc(0) : Buffer.from(pending.subarray(at));
      if (through.length > 0) yield Buffer.concat(through);
    }
    if (pending.length > 0 && ingest) {
      throw new Error(`the pack's side-band ends inside a pkt-line (${pending.length} bytes)`);
    }
    if (pending.length > 0) yield pending;
    if (ingest) {
      const stored = ingest;
      ingest = undefined;
      await stored.finish();
    }
  } finally {
    // Failed, or isomorphic-git stopped reading: nothing of the pack stays.
    if (ingest) await ingest.abort(new Error('the fetch stopped before the pack ended'));
  }
}

/**
 * `client`, with the answer to every upload-pack request read through {@link divertPack}: its
 * pack is stored in `options.packDir`, and isomorphic-git never sees it.
 */
export function receivingPacks(client: HttpClient, options: IngestOptions): HttpClient {
  return {
    request: async (req) => {
      const response: GitHttpResponse = await client.request(req);
      const isUploadPack = req.method === 'POST' && req.url.endsWith('/git-upload-pack');
      if (!isUploadPack || response.statusCode !== 200 || !response.body) return response;
      return { ...response, body: divertPack(response.body, options) };
    },
  };
}
