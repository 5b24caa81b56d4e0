/**
 * The POSIX shell the container target runs through one `exec` in a container that mounts the
 * volume: read the state, build the release from the base by hard links in a work directory of
 * its own, remove what changed, unpack the new files from stdin (a tar whose last entry is the
 * manifest), then, holding `.berth/lock`: rename the release into place, its manifest beside it,
 * swap `current`, prune. Needs only `sh`, `cp -al`, `tar`, `mv -T`, `ln`, `ls -t`, `find`,
 * `stat` (busybox and Debian's coreutils both have them).
 *
 * Exit codes: 0 done; 75 the active release is not the expected one; 76 the base or the
 * release to activate is missing (or is not a release: no manifest); anything else a failure
 * with its stderr. The last line of stdout is the state: `berth-state <active|-> <previous|-> <release…>`.
 */
export const EXIT_STATE_CHANGED = 75;
export const EXIT_MISSING_RELEASE = 76;

// Every command outside the shell is a process: in a container that costs milliseconds each,
// so the hot path runs as few as it can, and what can wait (pruning, linking the next stage's
// copy ahead) goes `later`: after the answer, when run in a session.
const PRELUDE = `
set -eu
root=$1; shift
b="$root/.berth"; rel="$b/releases"; trash="$b/trash"
host=$(hostname 2>/dev/null || echo unknown)
locked=''; work=''
cleanup() { [ -z "$work" ] || rm -rf "$work" "$work.manifest"; unlock; }
trap cleanup EXIT
link_name() { t=$(readlink "$1" 2>/dev/null || :); ln_name=\${t##*/}; }
is_release() { case $1 in ''|*[!0-9a-f]*) return 1;; esac; [ \${#1} -eq 40 ] || [ \${#1} -eq 64 ]; }
# A release: a real directory with its manifest beside it.
release_ok() { [ -d "$rel/$1" ] && [ ! -L "$rel/$1" ] && [ -f "$rel/$1.manifest" ]; }
list_releases() {
  rs=''
  for r in $(cd "$rel" 2>/dev/null && ls -t 2>/dev/null || :); do
    if is_release "$r" && release_ok "$r"; then rs="$rs $r"; fi
  done
}
state() {
  link_name "$root/current"; a=$ln_name; link_name "$b/previous"; p=$ln_name
  list_releases
  echo "berth-state \${a:--} \${p:--}$rs"
}
n_aside=0
aside() { if [ -e "$1" ] || [ -L "$1" ]; then n_aside=$((n_aside + 1)); mkdir -p "$trash"; mv "$1" "$trash/stale~$host~$$~$n_aside"; fi; }
# Work named <label>~<host>~<pid>~<n> belongs to that process; nobody else's prune touches it.
abandoned() {
  case $1 in *~*~*~*) ;; *) return 0;; esac
  o=\${1#*~}; h=\${o%%~*}; o=\${o#*~}; pid=\${o%%~*}
  [ "$h" = "$host" ] || return 1
  [ "$pid" != "$$" ] || return 1
  if kill -0 "$pid" 2>/dev/null; then return 1; fi
  return 0
}
# .berth/lock: "<host> <pid> <epoch ms> <token>", created exclusively; held for the commit point,
# the swap and pruning. A holder that died (same host) or held it 30 s is taken for gone.
lock() {
  i=0
  until ( set -C; echo "$host $$ $(date +%s)000 sh" > "$b/lock" ) 2>/dev/null; do
    held=$(cat "$b/lock" 2>/dev/null || :)
    set -- $held
    # This very script holding it already is a bug to report, not a lock to wait 30 s for.
    if [ -n "$locked" ]; then echo "$b/lock: taken twice by one script" >&2; exit 1; fi
    # Our own pid without our lock: a dead holder whose pid was reused (pids are few in a container).
    if [ $# -ge 3 ] && { { [ "$1" = "$host" ] && { [ "$2" = "$$" ] || ! kill -0 "$2" 2>/dev/null; }; } || [ $(( $(date +%s)000 - $3 )) -gt 30000 ]; }; then
      mv "$b/lock" "$b/lock.$$.stale" 2>/dev/null && rm -f "$b/lock.$$.stale"
      continue
    fi
    i=$((i + 1)); [ "$i" -lt 12000 ] || { echo "$b/lock is held by $held for too long" >&2; exit 1; }
    sleep 0.01
  done
  locked=1
}
unlock() { if [ -n "$locked" ]; then locked=''; rm -f "$b/lock"; fi; }
swap() { ln -s "$2" "$1.$$.tmp" && mv -T "$1.$$.tmp" "$1"; }
# Under the lock. $3: the active release the caller expects ('-' for none), or unset: any.
activate() {
  c=$1; keep=$2
  link_name "$root/current"; old=$ln_name
  if [ $# -ge 3 ] && [ "$old" != "\${3#-}" ] && [ "$old" != "$c" ]; then
    echo "active is '$old', expected '\${3#-}'" >&2; exit ${EXIT_STATE_CHANGED}
  fi
  release_ok "$c" || { echo "no complete release $c" >&2; exit ${EXIT_MISSING_RELEASE}; }
  if [ "$old" != "$c" ]; then
    swap "$root/current" ".berth/releases/$c"
    [ -z "$old" ] || swap "$b/previous" "releases/$old"
  fi
  touch "$rel/$c"
  if [ "\${4:-}" = later ]; then later link_ahead "$c"; later prune "$keep"; else prune_locked "$keep"; fi
}
prune_locked() {
  keep=$1; link_name "$root/current"; a=$ln_name; link_name "$b/previous"; p=$ln_name; n=0
  [ -n "$a" ] && n=$((n + 1)); [ -n "$p" ] && [ "$p" != "$a" ] && n=$((n + 1))
  list_releases; kept=" $a $p "
  for r in $rs; do
    { [ "$r" = "$a" ] || [ "$r" = "$p" ]; } && continue
    if [ "$n" -lt "$keep" ]; then n=$((n + 1)); kept="$kept$r "; else echo "pruned $r"; fi
  done
  # Anything else in releases/ is a pruned release or stale staging.
  for e in $(cd "$rel" 2>/dev/null && ls -A 2>/dev/null || :); do
    case "$kept" in *" \${e%.manifest} "*) continue;; esac
    aside "$rel/$e"
  done
  for e in $(cd "$b/staging" 2>/dev/null && ls -A 2>/dev/null || :); do
    [ "$e" = "next.$a" ] && continue
    abandoned "$e" && aside "$b/staging/$e"
  done
  for e in $(cd "$trash" 2>/dev/null && ls -A 2>/dev/null || :); do
    abandoned "$e" && rm -rf "$trash/$e"
  done
  :
}
# Under the lock already (activate outside a session runs it at once), or taking it.
prune() {
  if [ -n "$locked" ]; then prune_locked "$1"; else lock; prune_locked "$1"; unlock; fi
  rm -rf "$trash/stale~$host~$$~"* 2>/dev/null || :
}
# The next stage's copy of a release, made ahead: it then only removes and writes what changed.
link_ahead() {
  n="$b/staging/next.$1"; w="$b/staging/next.$1~$host~$$~0"
  [ -d "$n" ] || { cp -al "$rel/$1" "$w" && mv -T "$w" "$n"; } || rm -rf "$w"
}
# Work that can wait. In a session (BERTH_LATER names a file) it runs after the answer and
# before the next request; otherwise pruning runs now and linking ahead not at all.
later() {
  if [ -n "\${BERTH_LATER:-}" ]; then echo "$*" >> "$BERTH_LATER"
  elif [ "$1" != link_ahead ]; then "$@"; fi
}
if [ -n "\${BERTH_RUN_LATER:-}" ]; then . "$BERTH_RUN_LATER"; exit 0; fi
`;

/**
 * argv: root commit base|"" expect|"" activate(0|1) keep replace(0|1) manifest-entry, then the
 * paths to remove first. The tar's entry `manifest-entry` is the manifest: taken out of the
 * tree and put beside it.
 */
export const STAGE_SCRIPT = `${PRELUDE}
commit=$1; base=$2; expect=$3; act=$4; keep=$5; replace=$6; mf=$7; shift 7
[ -d "$b/staging" ] || mkdir -p "$rel" "$b/staging"
link_name "$root/current"; now=$ln_name
[ "$now" = "$expect" ] || { echo "active is '$now', expected '$expect'" >&2; cat >/dev/null; exit ${EXIT_STATE_CHANGED}; }
if release_ok "$commit" && [ "$replace" != 1 ]; then
  cat >/dev/null
else
  w="$b/staging/$commit~$host~$$~w"; work=$w
  if [ -n "$base" ]; then
    release_ok "$base" || { echo "base release $base is gone" >&2; cat >/dev/null; exit ${EXIT_MISSING_RELEASE}; }
    mv -T "$b/staging/next.$base" "$w" 2>/dev/null || cp -al "$rel/$base" "$w"
  else
    mkdir "$w"
  fi
  n=$#; i=0
  while [ "$i" -lt "$n" ]; do set -- "$@" "$w/$1"; shift; i=$((i + 1)); done
  [ $# -eq 0 ] || rm -rf -- "$@"
  tar -x -f - -C "$w"
  [ -f "$w/$mf" ] && [ ! -L "$w/$mf" ] || { echo "the upload had no manifest" >&2; exit 1; }
  mv "$w/$mf" "$w.manifest"
  lock
  link_name "$root/current"
  [ "$ln_name" = "$expect" ] || [ "$ln_name" = "$commit" ] || { echo "active is '$ln_name', expected '$expect'" >&2; exit ${EXIT_STATE_CHANGED}; }
  if release_ok "$commit" && [ "$replace" != 1 ]; then
    rm -rf "$w" "$w.manifest"
  else
    aside "$rel/$commit"; aside "$rel/$commit.manifest"
    mv -T "$w" "$rel/$commit"
    mv "$w.manifest" "$rel/$commit.manifest"
    echo written
  fi
  work=''
fi
if [ "$act" = 1 ]; then
  [ -n "$locked" ] || lock
  activate "$commit" "$keep" "\${expect:--}" later
fi
unlock
state
`;

/** argv: root commit keep [expected active, '-' for none]. */
export const ACTIVATE_SCRIPT = `${PRELUDE}
lock
activate "$@"
unlock
state
`;

/** argv: root. */
export const ROLLBACK_SCRIPT = `${PRELUDE}
lock
link_name "$b/previous"; p=$ln_name
[ -n "$p" ] || { echo "there is no previous release to roll back to" >&2; exit ${EXIT_MISSING_RELEASE}; }
link_name "$root/current"
activate "$p" 1000000 "\${ln_name:--}"
unlock
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

/** Kilobytes under .berth, a hard-linked file once (du counts an inode once), then the state. */
export const DISK_USAGE_SCRIPT = `${PRELUDE}
echo "berth-du $(du -sk "$b" 2>/dev/null | cut -f1)"
state
`;

/** Bytes from {@link DISK_USAGE_SCRIPT}'s output; undefined when it printed none. */
export function parseDiskUsage(stdout: string): number | undefined {
  const match = /^berth-du (\d+)$/m.exec(stdout);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/**
 * argv: root commit mode (cheap|full|manifest). Prints `berth-check <ok|missing|notdir|nomanifest>`,
 * then the manifest line, then (cheap, full) `<hex mode> <size>|<./path>` for every non-directory,
 * then (full) `berth-hashes` and `<blob id> <./path>` for each.
 */
export const CHECK_SCRIPT = `${PRELUDE}
c=$1; mode=$2
if [ ! -e "$rel/$c" ] && [ ! -L "$rel/$c" ]; then echo "berth-check missing"
elif [ -L "$rel/$c" ] || [ ! -d "$rel/$c" ]; then echo "berth-check notdir"
elif [ ! -f "$rel/$c.manifest" ]; then echo "berth-check nomanifest"
else
  echo "berth-check ok"
  cat "$rel/$c.manifest"
  if [ "$mode" != manifest ]; then
    cd "$rel/$c"
    find . ! -type d -exec stat -c '%f %s|%n' {} +
    if [ "$mode" = full ]; then
      echo berth-hashes
      sum=sha1sum; [ \${#c} -eq 64 ] && sum=sha256sum
      find . ! -type d | while IFS= read -r f; do
        if [ -L "$f" ]; then t=$(readlink "$f"); h=$(printf 'blob %s\\0%s' "\${#t}" "$t" | $sum)
        else h=$({ printf 'blob %s\\0' "$(wc -c < "$f")"; cat "$f"; } | $sum); fi
        echo "\${h%% *} $f"
      done
    fi
  fi
fi
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
