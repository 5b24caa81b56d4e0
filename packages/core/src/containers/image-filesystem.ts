import type { Readable } from 'node:stream';
import { ResultAsync, err, errAsync } from 'neverthrow';
import {
  berthError,
  type AbortedError,
  type DockerApiError,
  type InvalidInputError,
  type NotFoundError,
  type TimeoutError,
} from '../errors';
import { dockerCall, statusOf, toDockerApiError } from '../docker/api';
import { clientOf, type DockerConnection } from '../docker/connection';
import { parseImageRef } from '../docker/refs';
import { berthLabels } from '../labels';
import { bounded } from '../util/bounded';
import { TarReader, type TarEntryHeader } from './image-filesystem-tar';
import { checkLabels } from './spec-checks';

/** One path in an image's filesystem. */
export interface ImageFileEntry {
  /** Absolute: `/usr/bin/gcc`. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  readonly size: number;
  /** Permission bits, e.g. `0o755`. */
  readonly mode: number;
  /** A symlink's target as written (`gcc-12`, `/bin/busybox`); a hard link's absolute path. */
  readonly linkTarget?: string;
  /** The file's first bytes, when `content` asked for them. */
  readonly content?: Buffer;
}

export interface ReadImageFilesOptions {
  /** Absolute directories (or files) to list, each with everything below it. Default `['/']`. */
  readonly roots?: readonly string[];
  /** Which files to read, not only list. Default none. */
  readonly content?: (path: string) => boolean;
  /** Bytes kept per file read. Default 1 MiB. */
  readonly maxContentBytes?: number;
  /** Extra labels for the short-lived container; berth's own, role `helper`, are always added. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Bound on the whole read. Default 120 000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ImageFiles {
  readonly image: string;
  /** `sha256:…` of the image read. */
  readonly imageId: string;
  /** Every entry under the roots that exist, in archive order; roots the image lacks are skipped. */
  readonly entries: readonly ImageFileEntry[];
  /** Roots the image does not have. */
  readonly missingRoots: readonly string[];
}

export type ReadImageFilesError =
  InvalidInputError | NotFoundError | DockerApiError | TimeoutError | AbortedError;

function checkRoots(roots: readonly string[]): string[] | InvalidInputError {
  const out: string[] = [];
  for (const [i, root] of roots.entries()) {
    const segments = typeof root === 'string' ? root.split('/').filter(Boolean) : undefined;
    if (
      typeof root !== 'string' ||
      !root.startsWith('/') ||
      !segments ||
      segments.some((s) => s === '.' || s === '..')
    ) {
      return berthError.invalidInput({
        field: `options.roots[${i}]`,
        message: `options.roots[${i}] must be an absolute path without . or ..`,
      });
    }
    out.push(`/${segments.join('/')}`);
  }
  return out;
}

/** Where an archive entry of `root` lives in the image: `/usr/bin` + `bin/gcc` → `/usr/bin/gcc`. */
function absolute(root: string, name: string): string {
  const parent = root === '/' ? '' : root.slice(0, root.lastIndexOf('/'));
  const clean = name.replace(/^\.?\/+/, '').replace(/^\.$/, '');
  return root === '/' ? `/${clean}` : `${parent}/${clean}`;
}

async function readRoot(
  stream: Readable,
  root: string,
  options: ReadImageFilesOptions,
  into: ImageFileEntry[],
): Promise<void> {
  const reader = new TarReader(
    (header: TarEntryHeader, content?: Buffer) => {
      const path = absolute(root, header.name);
      into.push({
        path: path === '' ? '/' : path,
        type: header.type,
        size: header.size,
        mode: header.mode,
        ...(header.linkTarget !== undefined && {
          linkTarget:
            header.type === 'hardlink' ? absolute(root, header.linkTarget) : header.linkTarget,
        }),
        ...(content !== undefined && { content }),
      });
    },
    (header) => options.content?.(absolute(root, header.name)) === true,
    options.maxContentBytes ?? 1 << 20,
  );
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (cause) {
        stream.destroy();
        reject(cause instanceof Error ? cause : new Error(String(cause)));
      }
    });
    stream.on('end', () =>
      reader.end() ? resolve() : reject(new Error(`the archive of ${root} ended early`)),
    );
    stream.on('error', reject);
  });
}

/**
 * Lists (and optionally reads) files of an image without running it: a container is created,
 * never started (so images without a shell work), its filesystem is read through the archive
 * endpoint, and it is removed whatever happens. Content is streamed, not held, unless asked for.
 */
export function readImageFiles(
  docker: DockerConnection,
  image: string,
  options: ReadImageFilesOptions = {},
): ResultAsync<ImageFiles, ReadImageFilesError> {
  const ref = parseImageRef(image, 'image');
  if (ref.isErr()) return errAsync(ref.error);
  const roots = checkRoots(options.roots ?? ['/']);
  if (!Array.isArray(roots)) return errAsync(roots);
  const labels = checkLabels(options.labels ?? {}, 'options.labels');
  if (labels.isErr()) return errAsync(labels.error);
  const client = clientOf(docker);
  const operation = `read files of image ${image}`;

  const create = dockerCall(`create container from ${image}`, () =>
    client.createContainer({
      Image: image,
      // Never started: the entrypoint only has to be there for the engine to accept it.
      Entrypoint: ['/.berth-never-started'],
      Cmd: [],
      Labels: berthLabels('helper', labels.value),
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none' },
    }),
  ).mapErr((error) =>
    error.statusCode === 404
      ? berthError.notFound({
          resource: 'image',
          ref: image,
          message: `image ${image} is not on the engine`,
        })
      : error,
  );

  const read = (id: string): ResultAsync<ImageFiles, ReadImageFilesError> =>
    new ResultAsync(
      (async () => {
        const container = client.getContainer(id);
        const outcome = await bounded(
          { operation, timeoutMs: options.timeoutMs ?? 120_000, signal: options.signal },
          async (signal) => {
            const entries: ImageFileEntry[] = [];
            const missingRoots: string[] = [];
            for (const root of roots) {
              let stream: Readable;
              try {
                stream = (await container.getArchive({
                  path: root,
                  abortSignal: signal,
                })) as Readable;
              } catch (cause) {
                if (statusOf(cause) === 404) {
                  missingRoots.push(root);
                  continue;
                }
                throw cause;
              }
              await readRoot(stream, root, options, entries);
            }
            const inspected = (await container.inspect()) as { Image?: string };
            return { image, imageId: inspected.Image ?? '', entries, missingRoots };
          },
          (cause) => toDockerApiError(operation, cause),
        );
        const removed = await dockerCall(`remove helper ${id.slice(0, 12)}`, () =>
          container.remove({ force: true, v: true }),
        );
        if (outcome.isOk() && removed.isErr() && removed.error.statusCode !== 404)
          return err(removed.error);
        return outcome;
      })(),
    );

  return create.andThen((container) => read(container.id));
}
