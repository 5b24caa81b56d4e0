# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# common.sh - settings, state layout, logging, timing and polling for scripts/services.
# Sourced, not executed. Every server listens on 127.0.0.1 only.

# ---------------------------------------------------------------- state layout
BERTH_SERVICES_DIR=${BERTH_SERVICES_DIR:-${TMPDIR:-/tmp}/berth-services}
STATE_DIR=$BERTH_SERVICES_DIR
case $STATE_DIR in /*) ;; *) STATE_DIR=$PWD/$STATE_DIR ;; esac # nginx and git need absolute paths
LOG_DIR=$STATE_DIR/logs        # one log per daemon (+ apt.log, build logs)
RUN_DIR=$STATE_DIR/run         # pid records, sockets, nginx runtime prefixes
DATA_DIR=$STATE_DIR/data       # etcd, registry blobs, git repositories
CONF_DIR=$STATE_DIR/conf       # generated configs and htpasswd files
CERT_DIR=$STATE_DIR/certs      # self-signed certificate of the auth registry proxy
ENV_FILE=$STATE_DIR/env        # KEY=VALUE lines for the tests

# ---------------------------------------------------------------- ports (loopback)
ETCD_PORT=${BERTH_ETCD_PORT:-2379}
ETCD_PEER_PORT=${BERTH_ETCD_PEER_PORT:-2380}
REGISTRY_PORT=${BERTH_REGISTRY_PORT:-5000}                        # open registry
AUTH_UPSTREAM_PORT=${BERTH_AUTH_REGISTRY_UPSTREAM_PORT:-5001}     # registry behind the proxy
AUTH_TLS_PORT=${BERTH_AUTH_REGISTRY_TLS_PORT:-5443}               # nginx, HTTPS + Basic auth
AUTH_HTTP_PORT=${BERTH_AUTH_REGISTRY_HTTP_PORT:-5080}             # nginx, HTTP + Basic auth
GIT_PORT=${BERTH_GIT_PORT:-8180}                                  # nginx + fcgiwrap + git http-backend
GIT_SSH_PORT=${BERTH_GIT_SSH_PORT:-8122}                          # OpenSSH, git-upload-pack only

# ---------------------------------------------------------------- credentials (test-only)
REGISTRY_USER=${BERTH_REGISTRY_USER:-berth}
REGISTRY_PASSWORD=${BERTH_REGISTRY_PASSWORD:-berth-registry-secret}
GIT_USER=${BERTH_GIT_USER:-berth-git}
GIT_PASSWORD=${BERTH_GIT_PASSWORD:-berth-git-secret}
GIT_SSH_USER=${BERTH_GIT_SSH_USER:-berth-git}
GIT_SSH_PASSPHRASE=${BERTH_GIT_SSH_PASSPHRASE:-berth-ssh-passphrase}

# ---------------------------------------------------------------- images
IMAGE_BUSYBOX=berth-test/busybox:1
IMAGE_NGINX=berth-test/nginx:1
IMAGE_REGISTRY=berth-test/registry:1

export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

# ---------------------------------------------------------------- logging
log() { printf 'services: %s\n' "$*" >&2; }

# die MESSAGE [LOGFILE] - print MESSAGE (and the tail of LOGFILE), exit 1
die() {
  log "ERROR: $1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    printf -- '--- last lines of %s\n' "$2" >&2
    tail -n 20 "$2" | cut -c 1-400 | sed 's/^/    /' >&2
  fi
  exit 1
}

# ---------------------------------------------------------------- timing
# now_ms VAR - store the wall clock in milliseconds in VAR (no subprocess)
now_ms() { local t=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' $((t / 1000)); }

# since START_MS - seconds elapsed since START_MS, formatted like 1.23s
since() {
  local now; now_ms now
  local d=$((now - $1))
  printf '%d.%02ds' $((d / 1000)) $((d % 1000 / 10))
}

# step NAME FUNCTION [ARGS...] - run a step; the function sets STEP_NOTE to a short word
# ("started", "built", ...) when it changed something. Only those steps are reported.
STEP_NOTE=
step() {
  local name=$1 t0; shift
  now_ms t0
  STEP_NOTE=
  "$@"
  if [ -n "$STEP_NOTE" ] || [ "${BERTH_VERBOSE:-0}" = 1 ]; then
    log "$(printf '%-15s %-28s %s' "$name" "${STEP_NOTE:-ok}" "$(since "$t0")")"
  fi
}

# ---------------------------------------------------------------- polling
# wait_until TIMEOUT_S CMD... - poll CMD every 0.1 s until it succeeds; 1 on timeout
wait_until() {
  local timeout=$1 t0 now; shift
  now_ms t0
  until "$@" >/dev/null 2>&1; do
    now_ms now
    [ $((now - t0)) -lt $((timeout * 1000)) ] || return 1
    sleep 0.1
  done
}

have() { command -v "$1" >/dev/null 2>&1; }

# http_code URL [CURL_ARGS...] - print the HTTP status (000 when nothing answers)
http_code() {
  local url=$1; shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "$url" 2>/dev/null || true
}

# port_busy PORT - something listens on TCP PORT
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# require_free_port NAME PORT... - fail clearly when a port is held by something else
require_free_port() {
  local name=$1 p; shift
  for p in "$@"; do
    if port_busy "$p"; then
      ss -Hltnp "sport = :$p" >&2 2>/dev/null || true
      die "$name: port $p is in use by something that is not a healthy $name (override with BERTH_*_PORT)"
    fi
  done
}

ensure_state_dirs() {
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$DATA_DIR" "$CONF_DIR" "$CERT_DIR"
}

check_settings() {
  local v
  for v in "$REGISTRY_USER" "$REGISTRY_PASSWORD" "$GIT_USER" "$GIT_PASSWORD" "$STATE_DIR" \
    "$GIT_SSH_USER" "$GIT_SSH_PASSPHRASE"; do
    case $v in *[[:space:]]* | '') die "credentials and BERTH_SERVICES_DIR must be non-empty and contain no spaces" ;; esac
  done
  case $REGISTRY_USER$GIT_USER in *:*) die "user names must not contain ':'" ;; esac
  for v in "$ETCD_PORT" "$ETCD_PEER_PORT" "$REGISTRY_PORT" "$AUTH_UPSTREAM_PORT" \
    "$AUTH_TLS_PORT" "$AUTH_HTTP_PORT" "$GIT_PORT" "$GIT_SSH_PORT"; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ] || [ "$v" -gt 65535 ]; then
      die "invalid port '$v' in a BERTH_*_PORT variable"
    fi
  done
}
