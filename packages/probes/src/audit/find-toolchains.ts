import type { ImageFileEntry } from '@berth/core';
import { TOOL_PATTERNS, type ToolKind } from './toolchains';

/** One tool family found in an image, with every path that provides it. */
export interface ToolHit {
  readonly id: string;
  readonly label: string;
  readonly kind: ToolKind;
  readonly paths: readonly string[];
  /** True when every path is a busybox applet (a symlink or hard link to busybox). */
  readonly busyboxApplet: boolean;
}

const IN_BIN = /\/s?bin\/[^/]+$/;

function isBusybox(entry: ImageFileEntry): boolean {
  return entry.linkTarget !== undefined && /(?:^|\/)busybox$/.test(entry.linkTarget);
}

/** The tools among an image's files. Pure: names, places and modes only, nothing is run. */
export function findToolchains(entries: readonly ImageFileEntry[]): ToolHit[] {
  const hits = new Map<
    string,
    { id: string; label: string; kind: ToolKind; paths: string[]; busybox: boolean[] }
  >();
  for (const entry of entries) {
    if (entry.type === 'directory' || entry.type === 'other') continue;
    if (entry.type === 'file' && (entry.mode & 0o111) === 0) continue;
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    const pattern = TOOL_PATTERNS.find(
      (p) => p.name.test(name) && (p.where ?? IN_BIN).test(entry.path),
    );
    if (!pattern) continue;
    const hit = hits.get(pattern.id) ?? {
      id: pattern.id,
      label: pattern.label,
      kind: pattern.kind,
      paths: [],
      busybox: [],
    };
    hit.paths.push(entry.path);
    hit.busybox.push(isBusybox(entry));
    hits.set(pattern.id, hit);
  }
  // In catalogue order, whatever order the archive listed the files in.
  const rank = (id: string) => TOOL_PATTERNS.findIndex((p) => p.id === id);
  return [...hits.values()]
    .sort((a, b) => rank(a.id) - rank(b.id))
    .map(({ busybox, paths, ...rest }) => ({
      ...rest,
      paths: [...paths].sort(),
      busyboxApplet: busybox.every(Boolean),
    }));
}
