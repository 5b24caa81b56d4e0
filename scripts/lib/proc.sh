# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# proc.sh - start, find and stop the daemons that `services up` starts.
# Each daemon runs in its own session (setsid); $RUN_DIR/NAME.pid holds "PID STARTTIME",
# the start time guarding against a recycled PID. PID 1 on some machines reaps orphans
# only every few seconds, so "alive" means: /proc entry present and not a zombie.

# proc_field PID VAR_STATE VAR_START - state letter and start time of PID from /proc
proc_field() {
  local stat rest fields
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${stat##*) } # fields after "(comm)", comm may contain spaces
  read -r -a fields <<<"$rest"
  printf -v "$2" '%s' "${fields[0]}"  # field 3: state
  printf -v "$3" '%s' "${fields[19]}" # field 22: start time
}

# alive PID [STARTTIME] - PID runs (not a zombie) and, if given, started at STARTTIME
alive() {
  local st start
  proc_field "$1" st start || return 1
  [ "$st" != Z ] && [ "$st" != X ] && { [ -z "${2:-}" ] || [ "$2" = "$start" ]; }
}

# recorded NAME - print the PID recorded for NAME if that process still runs
recorded() {
  local f=$RUN_DIR/$1.pid pid start
  [ -s "$f" ] || return 1
  read -r pid start <"$f" || true
  [ -n "$pid" ] && alive "$pid" "$start" && printf '%s\n' "$pid"
}

# start_bg NAME CMD... - start CMD detached in a new session, logging to $LOG_DIR/NAME.log,
# with no other inherited file descriptor (a caller's pipe or our lock must not be held
# open by a daemon). A background job of a non-interactive shell is no group leader, so
# setsid does not fork and $! is the daemon's own PID (and its process group id).
start_bg() {
  local name=$1 pid st start; shift
  printf '==== %s started by services up: %s\n' "$(date '+%F %T')" "$*" >>"$LOG_DIR/$name.log"
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      [ "$fd" -le 2 ] || exec {fd}>&-
    done
    exec setsid "$@"
  ) >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  pid=$!
  proc_field "$pid" st start || start=
  printf '%s %s\n' "$pid" "$start" >"$RUN_DIR/$name.pid"
}

# daemon_start NAME TIMEOUT_S CHECK_FN CMD... - start CMD as NAME, wait until CHECK_FN passes.
# Fails early (with the log tail) if the process exits before becoming healthy.
daemon_start() {
  local name=$1 timeout=$2 check=$3 t0 now pid; shift 3
  start_bg "$name" "$@"
  pid=$(recorded "$name") || pid=
  now_ms t0
  until "$check" >/dev/null 2>&1; do
    recorded "$name" >/dev/null || die "$name exited during start-up" "$LOG_DIR/$name.log"
    now_ms now
    [ $((now - t0)) -lt $((timeout * 1000)) ] || die "$name not healthy after ${timeout}s" "$LOG_DIR/$name.log"
    sleep 0.1
  done
  STEP_NOTE="${STEP_NOTE:-started pid} ${pid:-?}"
}

# stop_daemon NAME [group] [TIMEOUT_S] - stop the recorded process (or its whole process
# group, for daemons whose children outlive them), TERM then KILL after TIMEOUT_S.
stop_daemon() {
  local name=$1 mode=${2:-} timeout=${3:-15} f=$RUN_DIR/$1.pid pid start target t0 now
  [ -s "$f" ] || return 0
  read -r pid start <"$f" || true
  if [ -n "$pid" ] && alive "$pid" "$start"; then
    now_ms t0
    target=$pid
    [ "$mode" = group ] && target=-$pid
    kill -TERM -- "$target" 2>/dev/null || true
    while alive "$pid" "$start"; do
      now_ms now
      if [ $((now - t0)) -ge $((timeout * 1000)) ]; then
        log "$name (pid $pid) ignored TERM for ${timeout}s, sending KILL"
        kill -KILL -- "$target" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
    # prefork children of a group leader may still be winding down
    if [ "$mode" = group ]; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
    log "$(printf '%-15s %-28s %s' "$name" "stopped (pid $pid)" "$(since "$t0")")"
  fi
  rm -f "$f"
}
