import { err, ok, type Result } from 'neverthrow';
import { berthError, type InvalidInputError } from '../errors';

/** Docker's own rule for container names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), without the leading slash. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const HEX = /^[0-9a-f]+$/;
const FULL_ID = /^[0-9a-f]{64}$/;

export function checkContainerName(
  name: unknown,
  field: string,
): Result<string, InvalidInputError> {
  if (typeof name !== 'string' || name.length === 0) {
    return err(
      berthError.invalidInput({ field, message: `${field} must be a non-empty container name` }),
    );
  }
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!CONTAINER_NAME.test(bare)) {
    return err(
      berthError.invalidInput({
        field,
        message: `${field} "${name}" is not a valid container name: two or more of [a-zA-Z0-9_.-], starting with a letter or digit`,
      }),
    );
  }
  return ok(bare);
}

/** How a container reference will be looked up. */
export type ContainerRef =
  | { readonly form: 'id'; readonly id: string }
  | { readonly form: 'id-prefix-or-name'; readonly prefix: string; readonly name: string }
  | { readonly form: 'name'; readonly name: string };

/**
 * Parses a reference the way `docker inspect` takes one: a full id, an id prefix, or a name
 * with or without its leading slash. Docker tries an exact name before an id prefix, so a
 * hex-looking string is kept as both.
 */
export function parseContainerRef(
  ref: unknown,
  field = 'ref',
): Result<ContainerRef, InvalidInputError> {
  if (typeof ref !== 'string') {
    return err(
      berthError.invalidInput({ field, message: `${field} must be a string, got ${typeof ref}` }),
    );
  }
  const trimmed = ref.trim();
  if (trimmed !== ref || trimmed.length === 0) {
    return err(
      berthError.invalidInput({
        field,
        message: `${field} "${ref}" is empty or has surrounding white space`,
      }),
    );
  }
  if (FULL_ID.test(ref)) return ok({ form: 'id', id: ref });
  if (ref.startsWith('/'))
    return checkContainerName(ref, field).map((name) => ({ form: 'name', name }));
  if (HEX.test(ref)) return ok({ form: 'id-prefix-or-name', prefix: ref, name: ref });
  return checkContainerName(ref, field).map((name) => ({ form: 'name', name }));
}

/** An image reference taken apart: `[registry/]repository[:tag][@digest]`. */
export interface ImageRef {
  /** The registry host (with port), or `docker.io` when the reference names none. */
  readonly registry: string;
  /** The repository path, e.g. `library/nginx` or `team/site`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The reference to give the engine: `repository:tag`, `repository@digest`, with the registry as written. */
  readonly normalized: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Parses an image reference by distribution's grammar; a missing tag means `latest`. */
export function parseImageRef(ref: unknown, field = 'image'): Result<ImageRef, InvalidInputError> {
  const bad = (why: string) =>
    err(
      berthError.invalidInput({
        field,
        message: `${field} ${JSON.stringify(ref)} is not an image reference: ${why}`,
      }),
    );
  if (typeof ref !== 'string' || ref.length === 0) return bad('empty');
  if (ref.length > 255 + 128 + 80) return bad('too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return bad(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      return bad(tag === '' ? 'the tag after ":" is empty' : `"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!/^[a-zA-Z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/.test(registry)) {
      return bad(`"${registry}" is not a registry host`);
    }
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    return bad(
      'repository names are lower-case letters, digits and separators (. _ __ -), split by /',
    );
  }
  let repository = parts.join('/');
  if (registry === 'docker.io' && parts.length === 1) repository = `library/${repository}`;
  const written = ref.slice(
    0,
    ref.length - (digest ? digest.length + 1 : 0) - (tag !== undefined ? tag.length + 1 : 0),
  );
  const normalized = digest
    ? `${written}${tag !== undefined ? `:${tag}` : ''}@${digest}`
    : `${written}:${tag ?? 'latest'}`;
  return ok({
    registry,
    repository,
    ...(tag !== undefined ? { tag } : digest ? {} : { tag: 'latest' }),
    ...(digest !== undefined && { digest }),
    normalized,
  });
}

/** Absolute, normalised container paths (`/etc/nginx`), no `..`, no duplicates. */
export function checkVolumePaths(
  paths: unknown,
  field = 'volumes',
): Result<string[], InvalidInputError> {
  if (!Array.isArray(paths)) {
    return err(
      berthError.invalidInput({ field, message: `${field} must be an array of absolute paths` }),
    );
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [i, path] of (paths as unknown[]).entries()) {
    const here = `${field}[${i}]`;
    if (typeof path !== 'string' || path.length === 0) {
      return err(
        berthError.invalidInput({ field: here, message: `${here} must be a non-empty path` }),
      );
    }
    if (!path.startsWith('/')) {
      return err(
        berthError.invalidInput({ field: here, message: `${here} "${path}" is not absolute` }),
      );
    }
    const segments = path.split('/').filter(Boolean);
    if (segments.some((s) => s === '..' || s === '.')) {
      return err(
        berthError.invalidInput({ field: here, message: `${here} "${path}" contains "." or ".."` }),
      );
    }
    if (/[\0:,]/.test(path)) {
      return err(
        berthError.invalidInput({
          field: here,
          message: `${here} "${path}" contains ":", "," or NUL`,
        }),
      );
    }
    const normal = `/${segments.join('/')}`;
    if (normal === '/')
      return err(berthError.invalidInput({ field: here, message: `${here} cannot be "/"` }));
    if (seen.has(normal)) {
      return err(
        berthError.invalidInput({ field: here, message: `${here} "${path}" is listed twice` }),
      );
    }
    seen.add(normal);
    out.push(normal);
  }
  return ok(out);
}
