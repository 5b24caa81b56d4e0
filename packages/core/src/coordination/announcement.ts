// The value of the watched key: what a node must serve. Pure: no I/O, never throws.
import { err, ok, type Result } from 'neverthrow';

/** What an announcement asks for, as parsed from the key's value. */
export interface Announcement {
  /** What the node resolves: a full commit SHA (lower case) or a ref name. */
  readonly revision: string;
  /** The full SHA, when the value names one. */
  readonly commit?: string;
  /** The ref it came from (JSON form) or the ref to resolve (plain form). */
  readonly ref?: string;
  /** Who announced it (JSON form), e.g. `jenkins#1234`. */
  readonly by?: string;
  /**
   * The commit a carried change is thin against (JSON form): the announcer stored the objects
   * that take a cache from it to `commit` at `carriedKey(key, commit)` before announcing.
   */
  readonly carried?: string;
  readonly form: 'sha' | 'ref' | 'json';
}

/** Why a value is not an announcement, in words for an operator. */
export interface AnnouncementProblem {
  readonly reason: string;
}

/** Values longer than this are refused before any parsing. */
export const MAX_ANNOUNCEMENT_BYTES = 4096;
const MAX_BY_LENGTH = 256;
const MAX_REF_LENGTH = 255;

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const ABBREVIATED_SHA = /^[0-9a-f]{7,39}$/i;

/**
 * git's ref-name rules (`git check-ref-format`), a little stricter: no control characters,
 * spaces, `~ ^ : ? * [ \`, no `..`, `@{`, `//`, no component starting with `.` or ending with
 * `.lock`, no leading `-` or `/`, no trailing `/` or `.`, not `@`.
 */
export function isRefName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_REF_LENGTH || value === '@') return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(value)) return false;
  if (value.includes('..') || value.includes('@{') || value.includes('//')) return false;
  if (/^[-/]|[/.]$/.test(value)) return false;
  return value.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/** A full commit SHA: 40 (SHA-1) or 64 (SHA-256) hex digits. */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** Who announced: one line of at most 256 characters. */
export function isByLine(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_BY_LENGTH && ![...value].some(isControl);
}

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

const problem = (reason: string): Result<Announcement, AnnouncementProblem> => err({ reason });

function decode(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function plain(text: string): Result<Announcement, AnnouncementProblem> {
  if (FULL_SHA.test(text))
    return ok({ revision: text.toLowerCase(), commit: text.toLowerCase(), form: 'sha' });
  if (ABBREVIATED_SHA.test(text)) {
    return problem(`"${text}" looks like an abbreviated SHA: announce the full commit SHA`);
  }
  if (isRefName(text)) return ok({ revision: text, ref: text, form: 'ref' });
  return problem('neither a full commit SHA, nor a ref name, nor JSON {"commit": …}');
}

function fromJson(text: string): Result<Announcement, AnnouncementProblem> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return problem('starts with "{" but is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return problem('JSON announcement must be an object');
  }
  const { commit, ref, by, carried } = parsed as Record<string, unknown>;
  if (typeof commit !== 'string' || !FULL_SHA.test(commit)) {
    return problem('JSON announcement needs "commit": a full commit SHA');
  }
  if (ref !== undefined && (typeof ref !== 'string' || !isRefName(ref))) {
    return problem('"ref" must be a ref name');
  }
  if (by !== undefined && !isByLine(by)) {
    return problem(`"by" must be a single-line string of at most ${MAX_BY_LENGTH} characters`);
  }
  const sha = commit.toLowerCase();
  return ok({
    revision: sha,
    commit: sha,
    ...(ref !== undefined && { ref }),
    ...(by !== undefined && { by }),
    // An unusable base only costs the carried change: the node fetches as before.
    ...(typeof carried === 'string' &&
      FULL_SHA.test(carried) && { carried: carried.toLowerCase() }),
    form: 'json',
  });
}

/**
 * Parses the watched key's value: a full commit SHA, a ref (`main`, `refs/tags/v1`), or JSON
 * `{ "commit": <full SHA>, "ref"?: …, "by"?: … }` (other fields are ignored). Surrounding
 * whitespace is ignored. Anything else, any bytes at all, is an `AnnouncementProblem`.
 */
export function parseAnnouncement(bytes: Uint8Array): Result<Announcement, AnnouncementProblem> {
  if (bytes.length === 0) return problem('empty value');
  if (bytes.length > MAX_ANNOUNCEMENT_BYTES) {
    return problem(`value of ${bytes.length} bytes is longer than ${MAX_ANNOUNCEMENT_BYTES}`);
  }
  const decoded = decode(bytes);
  if (decoded === undefined) return problem('not UTF-8 text');
  const text = decoded.trim();
  if (text.length === 0) return problem('only whitespace');
  return text.startsWith('{') ? fromJson(text) : plain(text);
}

/**
 * The value `announceRevision` writes: JSON with the full SHA, and `ref`, `by` and `carried` (the
 * base of a carried change) when given.
 */
export function formatAnnouncement(announcement: {
  readonly commit: string;
  readonly ref?: string | undefined;
  readonly by?: string | undefined;
  readonly carried?: string | undefined;
}): string {
  return JSON.stringify({
    commit: announcement.commit.toLowerCase(),
    ...(announcement.ref !== undefined && { ref: announcement.ref }),
    ...(announcement.by !== undefined && { by: announcement.by }),
    ...(announcement.carried !== undefined && { carried: announcement.carried.toLowerCase() }),
  });
}

/** At most 80 printable characters of a value, for messages and events. */
export function previewValue(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.subarray(0, 80)).toString('utf8');
  const printable = [...text]
    .map((c) => (isControl(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
    .join('');
  return bytes.length > 80 ? `${printable}…` : printable;
}
