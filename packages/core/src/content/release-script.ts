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

// Every command outside the shell is a process: in a container that costs milliseconds each,
// so the hot path (state check, build, swap of `current`) runs as few as it can, and what can
// wait (`previous`, the release's date, the state line) comes after the swap. Pruning and
// linking the next stage's copy ahead go `later`: after the answer, when run in a session.
const PRELUDE = `
set -eu
root=$1; shift
b="$root/.berth"; rel="$b/releases"
link_name() { t=$(readlink "$1" 2>/dev/null || :); ln_name=\${t##*/}; }
is_release() { case $1 in ''|*[!0-9a-f]*) return 1;; esac; [ \${#1} -eq 40 ] || [ \${#1} -eq 64 ]; }
list_releases() {
  rs=''
  for r in $(cd "$rel" 2>/dev/null && ls -t 2>/dev/null || :); do
    if is_release "$r"; then rs="$rs $r"; fi
  done
}
state() {
  link_name "$root/current"; a=$ln_name; link_name "$b/previous"; p=$ln_name
  list_releases
  echo "berth-state \${a:--} \${p:--}$rs"
}
swap() { ln -s "$2" "$1.$$.tmp" && mv -T "$1.$$.tmp" "$1"; }
activate() {
  c=$1; keep=$2
  [ -d "$rel/$c" ] || { echo "no complete release $c" >&2; exit ${EXIT_MISSING_RELEASE}; }
  if [ $# -ge 3 ]; then old=$3; else link_name "$root/current"; old=$ln_name; fi
  if [ "$old" != "$c" ]; then
    swap "$root/current" ".berth/releases/$c"
    [ -z "$old" ] || swap "$b/previous" "releases/$old"
  fi
  touch "$rel/$c"
  if [ "\${4:-}" = later ]; then later link_ahead "$c"; later prune "$keep"; else prune "$keep"; fi
}
prune() {
  keep=$1; link_name "$root/current"; a=$ln_name; link_name "$b/previous"; p=$ln_name; n=0
  [ -n "$a" ] && n=$((n + 1)); [ -n "$p" ] && [ "$p" != "$a" ] && n=$((n + 1))
  list_releases; gone=''
  for r in $rs; do
    { [ "$r" = "$a" ] || [ "$r" = "$p" ]; } && continue
    if [ "$n" -lt "$keep" ]; then n=$((n + 1)); else gone="$gone $r"; echo "pruned $r"; fi
  done
  # Staging goes too, but for the copy of the active release made ahead.
  set --
  for e in "$b/staging"/*; do [ "$e" = "$b/staging/next.$a" ] || set -- "$@" "$e"; done
  for r in $gone; do set -- "$@" "$rel/$r"; done
  [ $# -eq 0 ] || rm -rf -- "$@"
}
# The next stage's copy of a release, made ahead: it then only removes and writes what changed.
link_ahead() { n="$b/staging/next.$1"; rm -rf "$n" "$n.tmp"; cp -al "$rel/$1" "$n.tmp" && mv -T "$n.tmp" "$n"; }
# Work that can wait. In a session (BERTH_LATER names a file) it runs after the answer and
# before the next request; otherwise pruning runs now and linking ahead not at all.
later() {
  if [ -n "\${BERTH_LATER:-}" ]; then echo "$*" >> "$BERTH_LATER"
  elif [ "$1" != link_ahead ]; then "$@"; fi
}
if [ -n "\${BERTH_RUN_LATER:-}" ]; then . "$BERTH_RUN_LATER"; exit 0; fi
`;

/** argv: root commit base|"" expect|"" activate(0|1) keep, then the paths to remove first. */
export const STAGE_SCRIPT = `${PRELUDE}
commit=$1; base=$2; expect=$3; act=$4; keep=$5; shift 5
[ -d "$b/staging" ] || mkdir -p "$rel" "$b/staging"
link_name "$root/current"; now=$ln_name
[ "$now" = "$expect" ] || { echo "active is '$now', expected '$expect'" >&2; cat >/dev/null; exit ${EXIT_STATE_CHANGED}; }
if [ -d "$rel/$commit" ]; then
  cat >/dev/null
else
  w="$b/staging/$commit.$$"
  if [ -n "$base" ]; then
    [ -d "$rel/$base" ] || { echo "base release $base is gone" >&2; cat >/dev/null; exit ${EXIT_MISSING_RELEASE}; }
    if [ -d "$b/staging/next.$base" ]; then mv -T "$b/staging/next.$base" "$w"; else cp -al "$rel/$base" "$w"; fi
  else
    mkdir "$w"
  fi
  n=$#; i=0
  while [ "$i" -lt "$n" ]; do set -- "$@" "$w/$1"; shift; i=$((i + 1)); done
  [ $# -eq 0 ] || rm -rf -- "$@"
  tar -x -f - -C "$w"
  mv -T "$w" "$rel/$commit"
  echo written
fi
[ "$act" = 1 ] && activate "$commit" "$keep" "$now" later
state
`;

/** argv: root commit keep. */
export const ACTIVATE_SCRIPT = `${PRELUDE}
activate "$1" "$2"
state
`;

/** argv: root. */
export const ROLLBACK_SCRIPT = `${PRELUDE}
link_name "$b/previous"; p=$ln_name
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
