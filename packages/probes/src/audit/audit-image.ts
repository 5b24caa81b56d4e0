import { readImageFiles, type DockerConnection, type ReadImageFilesError } from '@berth/core';
import type { ResultAsync } from 'neverthrow';
import type { Finding } from '../findings';
import { findToolchains, type ToolHit } from './find-toolchains';
import { DEFAULT_AUDIT_ROOTS } from './toolchains';

/** Every finding id `auditImage` can give; stable, documented in docs/probes.md. */
export const IMAGE_FINDING_IDS = [
  'image.toolchain-present',
  'image.package-manager-present',
] as const;

export type ImageFindingId = (typeof IMAGE_FINDING_IDS)[number];

export interface ImageFinding extends Finding {
  readonly id: ImageFindingId;
  /** The tool family: `gcc`, `make`, `apt`, … */
  readonly tool: string;
  readonly paths: readonly string[];
}

export interface AuditImageOptions {
  /** Directories to list. Default: the usual bin, lib/gcc, libexec, jvm, go, node_modules, /opt, /root. */
  readonly roots?: readonly string[];
  /** List the whole filesystem instead (slower: the engine sends every file). */
  readonly wholeFilesystem?: boolean;
  /** Labels for the short-lived container (berth's own are always added). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default 120 000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ImageAudit {
  readonly image: string;
  readonly imageId: string;
  /** Compilers, build tools, language toolchains and version control. */
  readonly toolchains: readonly ToolHit[];
  readonly packageManagers: readonly ToolHit[];
  readonly findings: readonly ImageFinding[];
  readonly roots: readonly string[];
}

export type AuditImageError = ReadImageFilesError;

function describe(hit: ToolHit): string {
  const shown =
    hit.paths.slice(0, 4).join(', ') +
    (hit.paths.length > 4 ? `, … (${hit.paths.length} paths)` : '');
  return `${hit.label} at ${shown}${hit.busyboxApplet ? ' (busybox applets)' : ''}`;
}

/** Findings for what an image carries. Pure. */
export function imageFindings(
  toolchains: readonly ToolHit[],
  packageManagers: readonly ToolHit[],
): ImageFinding[] {
  return [
    ...toolchains.map((hit): ImageFinding => ({
      id: 'image.toolchain-present',
      severity: 'warn',
      tool: hit.id,
      paths: hit.paths,
      message: `the image carries a build tool: ${describe(hit)}; whoever gets in can build and run their own code`,
      fix: 'build in a separate stage and copy only the result into the final image (multi-stage build), or remove the toolchain in the layer that used it',
    })),
    ...packageManagers.map((hit): ImageFinding => ({
      id: 'image.package-manager-present',
      severity: 'info',
      tool: hit.id,
      paths: hit.paths,
      message: `the image carries a package manager: ${describe(hit)}; it can install more at run time`,
      fix: 'use a minimal final stage (scratch, distroless) when nothing needs to be installed later',
    })),
  ];
}

/**
 * Which build toolchains and package managers an image carries, without running it: its files
 * are listed from a created, never-started container (so images without a shell work too), and
 * matched by name and place. The container is removed whatever happens.
 */
export function auditImage(
  docker: DockerConnection,
  image: string,
  options: AuditImageOptions = {},
): ResultAsync<ImageAudit, AuditImageError> {
  const roots = options.wholeFilesystem ? ['/'] : (options.roots ?? DEFAULT_AUDIT_ROOTS);
  return readImageFiles(docker, image, {
    roots,
    ...(options.labels && { labels: options.labels }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.signal && { signal: options.signal }),
  }).map((files) => {
    const hits = findToolchains(files.entries);
    const toolchains = hits.filter((h) => h.kind !== 'package-manager');
    const packageManagers = hits.filter((h) => h.kind === 'package-manager');
    return {
      image,
      imageId: files.imageId,
      toolchains,
      packageManagers,
      findings: imageFindings(toolchains, packageManagers),
      roots,
    };
  });
}
