/**
 * The POSIX shell the container target runs through one `exec` in a container that mounts the
 * volume: read the state, build the release from the base by hard links, remove what changed,
 * unpack the new files from stdin (a tar), rename the release into place, swap `current`, prune.
 * One round trip for the whole hot path. Needs only `sh`, `cp -al`, `tar`, `mv -T`, `ln`, `ls -t`
 * (busybox and Debian's coreutils both have them).
 *
 * Exit codes: 0 done; 75 the active release is not the expected one; 76 the base or the
 * release to activate is missing; anything else a failure with its stderr.
 * The last line of stdout is the state: `berth-state <active|-> <previous|-> <release…>`.
 */
export const EXIT_STATE_CHANGED = 75;
export const EXIT_MISSING_RELEASE = 76;

const PRELUDE = `
set -eu
root=$1; shift
b="$root/.berth"; rel="$b/releases"
name_of() { t=$(readlink "$1" 2>/dev/null || :); echo "\${t##*/}"; }
state() {
  a=$(name_of "$root/current"); p=$(name_of "$b/previous")
  r=$(cd "$rel" 2>/dev/null && ls -t 2>/dev/null | grep -E '^[0-9a-f]{40}([0-9a-f]{24})?$' | tr '\\n' ' ' || :)
  echo "berth-state \${a:--} \${p:--} $r"
}
swap() { ln -s "$2" "$1.$$.tmp" && mv -T "$1.$$.tmp" "$1"; }
activate() {
  c=$1; keep=$2
  [ -d "$rel/$c" ] || { echo "no complete release $c" >&2; exit ${EXIT_MISSING_RELEASE}; }
  old=$(name_of "$root/current")
  if [ "$old" != "$c" ]; then
    swap "$root/current" ".berth/releases/$c"
    [ -z "$old" ] || swap "$b/previous" "releases/$old"
  fi
  touch "$rel/$c"
  prune "$keep"
}
prune() {
  keep=$1; a=$(name_of "$root/current"); p=$(name_of "$b/previous"); n=0
  [ -n "$a" ] && n=$((n + 1)); [ -n "$p" ] && [ "$p" != "$a" ] && n=$((n + 1))
  for r in $(cd "$rel" 2>/dev/null && ls -t | grep -E '^[0-9a-f]{40}([0-9a-f]{24})?$' || :); do
    [ "$r" = "$a" ] || [ "$r" = "$p" ] && continue
    if [ "$n" -lt "$keep" ]; then n=$((n + 1)); else rm -rf "\${rel:?}/$r"; echo "pruned $r"; fi
  done
  rm -rf "$b/staging"
}
`;

/** argv: root commit base|"" expect|"" activate(0|1) keep, then the paths to remove first. */
export const STAGE_SCRIPT = `${PRELUDE}
commit=$1; base=$2; expect=$3; act=$4; keep=$5; shift 5
mkdir -p "$rel" "$b/staging"
now=$(name_of "$root/current")
[ "$now" = "$expect" ] || { echo "active is '$now', expected '$expect'" >&2; cat >/dev/null; exit ${EXIT_STATE_CHANGED}; }
if [ -d "$rel/$commit" ]; then
  cat >/dev/null
else
  w="$b/staging/$commit.$$"
  rm -rf "$w"
  if [ -n "$base" ]; then
    [ -d "$rel/$base" ] || { echo "base release $base is gone" >&2; cat >/dev/null; exit ${EXIT_MISSING_RELEASE}; }
    cp -al "$rel/$base" "$w"
  else
    mkdir -p "$w"
  fi
  for p in "$@"; do rm -rf "$w/$p"; done
  tar -x -f - -C "$w"
  mv -T "$w" "$rel/$commit"
  echo written
fi
[ "$act" = 1 ] && activate "$commit" "$keep"
state
`;

/** argv: root commit keep. */
export const ACTIVATE_SCRIPT = `${PRELUDE}
activate "$1" "$2"
state
`;

/** argv: root. */
export const ROLLBACK_SCRIPT = `${PRELUDE}
p=$(name_of "$b/previous")
[ -n "$p" ] || { echo "there is no previous release to roll back to" >&2; exit ${EXIT_MISSING_RELEASE}; }
activate "$p" 1000000
state
`;

/** argv: root keep. */
export const PRUNE_SCRIPT = `${PRELUDE}
prune "$1"
state
`;

/** argv: root. */
export const STATE_SCRIPT = `${PRELUDE}
state
`;

export interface ParsedState {
  readonly active?: string;
  readonly previous?: string;
  readonly releases: readonly string[];
}

/** Reads the `berth-state` line a script printed last. */
export function parseStateLine(stdout: string): ParsedState | undefined {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('berth-state '));
  if (!line) return undefined;
  const [, active, previous, ...releases] = line.trim().split(/\s+/);
  return {
    ...(active && active !== '-' && { active }),
    ...(previous && previous !== '-' && { previous }),
    releases: releases.filter(Boolean),
  };
}

/** The lines `pruned <sha>` a script printed. */
export function prunedIn(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('pruned '))
    .map((l) => l.slice('pruned '.length).trim());
}
