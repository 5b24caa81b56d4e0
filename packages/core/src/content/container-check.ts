/** Reads what the container target's check script printed into a `ReleaseCheck`. */
import {
  entryProblems,
  parseManifest,
  treeIdOf,
  type FoundFile,
  type ReleaseCheck,
  type ReleaseManifest,
} from './release-manifest';

const REASONS: Record<string, string> = {
  missing: 'missing release directory',
  notdir: 'the release is not a directory',
  nomanifest: 'missing manifest',
};

/** `<hex st_mode> <size>` of one `stat -c '%f %s'` line. */
function foundOf(hexMode: string, size: string): FoundFile {
  const mode = Number.parseInt(hexMode, 16);
  const type = mode & 0o170000;
  return {
    kind:
      type === 0o100000
        ? 'file'
        : type === 0o120000
          ? 'symlink'
          : type === 0o040000
            ? 'directory'
            : 'other',
    size: Number(size),
    executable: (mode & 0o111) !== 0,
  };
}

const relative = (path: string) => (path.startsWith('./') ? path.slice(2) : path);

export function parseCheckOutput(
  stdout: string,
  commit: string,
  mode: 'cheap' | 'full' | 'manifest',
): ReleaseCheck {
  const depth = mode === 'full' ? 'full' : 'cheap';
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('berth-check '));
  const status = at < 0 ? 'missing' : (lines[at] ?? '').slice('berth-check '.length).trim();
  const failed = (problems: string[], manifest?: ReleaseManifest): ReleaseCheck => ({
    commit,
    verified: false,
    depth,
    problems,
    files: manifest?.entries.length ?? 0,
    ...(manifest && { manifest }),
  });
  if (status !== 'ok') return failed([REASONS[status] ?? `unexpected answer ${status}`]);
  const manifest = parseManifest(lines[at + 1] ?? '', commit);
  if (typeof manifest === 'string') return failed([manifest]);
  if (mode === 'manifest')
    return {
      commit,
      verified: true,
      depth,
      problems: [],
      files: manifest.entries.length,
      manifest,
    };
  const found = new Map<string, FoundFile>();
  const hashes = new Map<string, string>();
  let inHashes = false;
  for (const line of lines.slice(at + 2)) {
    if (line.startsWith('berth-state ')) break;
    if (line === 'berth-hashes') {
      inHashes = true;
      continue;
    }
    if (inHashes) {
      const space = line.indexOf(' ');
      if (space > 0) hashes.set(relative(line.slice(space + 1)), line.slice(0, space));
      continue;
    }
    const bar = line.indexOf('|');
    const [hexMode, size] = line.slice(0, bar).split(' ');
    if (bar > 0 && hexMode && size)
      found.set(relative(line.slice(bar + 1)), foundOf(hexMode, size));
  }
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const entry of manifest.entries) {
    listed.add(entry.path);
    problems.push(...entryProblems(entry, found.get(entry.path)));
    const hash = hashes.get(entry.path);
    if (mode === 'full' && hash !== undefined && hash !== entry.oid)
      problems.push(`${entry.path}: content ${hash}, expected ${entry.oid}`);
  }
  for (const path of found.keys()) if (!listed.has(path)) problems.push(`${path}: not in the tree`);
  if (mode === 'full' && treeIdOf(manifest.entries, commit) !== manifest.tree)
    problems.push(`the manifest's entries do not make its tree ${manifest.tree}`);
  return {
    commit,
    verified: problems.length === 0,
    depth,
    problems,
    files: manifest.entries.length,
    manifest,
  };
}
