# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# docker.sh - the Docker engine: use one that answers on $DOCKER_HOST, otherwise start
# dockerd on loopback-only terms (no bridge, no iptables, no masquerading) and remember
# that we did, so that `down` stops it only then.

DOCKERD_MARKER=started-by-berth   # $RUN_DIR/dockerd.$DOCKERD_MARKER

# engine_answers - the daemon at $DOCKER_HOST answers /_ping (independent of the CLI)
engine_answers() {
  case $DOCKER_HOST in
  unix://*)
    [ -S "${DOCKER_HOST#unix://}" ] || return 1
    if have curl; then
      [ "$(curl -s --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://localhost/_ping 2>/dev/null)" = OK ]
    else
      have docker && timeout 10 docker version >/dev/null 2>&1
    fi
    ;;
  *) have docker && timeout 10 docker version >/dev/null 2>&1 ;;
  esac
}

# engine_api_version - API version the daemon speaks (e.g. 1.41)
engine_api_version() {
  case $DOCKER_HOST in
  unix://*)
    curl -s --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://localhost/version 2>/dev/null |
      sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p'
    ;;
  *) docker version --format '{{.Server.APIVersion}}' 2>/dev/null ;;
  esac
}

ensure_docker() {
  if ! engine_answers; then
    case $DOCKER_HOST in unix://*) ;; *) die "no Docker engine answers on DOCKER_HOST=$DOCKER_HOST" ;; esac
    have dockerd || die "no Docker engine answers on $DOCKER_HOST and dockerd is not installed (apt-get install docker.io)"
    if ! recorded dockerd >/dev/null; then
      # a socket left behind by a dead daemon would make dockerd fail to listen
      [ -S "${DOCKER_HOST#unix://}" ] && rm -f "${DOCKER_HOST#unix://}"
      start_bg dockerd dockerd -H "$DOCKER_HOST" --bridge=none --iptables=false --ip-masq=false
      touch "$RUN_DIR/dockerd.$DOCKERD_MARKER"
    fi
    wait_until 60 engine_answers || die "dockerd did not answer on $DOCKER_HOST within 60s" "$LOG_DIR/dockerd.log"
    STEP_NOTE="started pid $(recorded dockerd || echo '?')"
  fi
  ensure_docker_cli
}

# The CLI on PATH may be newer than the daemon (e.g. a Docker 28 CLI against dockerd 20.10,
# API 1.41). It normally negotiates down by itself; only if it refuses do we pin the API.
ensure_docker_cli() {
  have docker || die "the docker CLI is not installed (apt-get install docker.io)"
  [ -n "${DOCKER_API_VERSION:-}" ] && return 0
  docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1 && return 0
  local v
  v=$(engine_api_version)
  if [ -z "$v" ] || ! DOCKER_API_VERSION=$v docker version >/dev/null 2>&1; then
    die "the docker CLI cannot talk to the engine at $DOCKER_HOST: $(docker version 2>&1 | tail -1)"
  fi
  export DOCKER_API_VERSION=$v
  log "docker CLI pinned to the engine's API version $v (DOCKER_API_VERSION)"
}

docker_started_by_us() { [ -e "$RUN_DIR/dockerd.$DOCKERD_MARKER" ]; }

# stop_docker - stop dockerd if (and only if) `up` started it
stop_docker() {
  docker_started_by_us || return 0
  stop_daemon dockerd '' 60
  rm -f "$RUN_DIR/dockerd.$DOCKERD_MARKER"
}

docker_status() {
  local who=existing
  docker_started_by_us && who="started by services up"
  if engine_answers; then
    printf '%-15s up    %s (API %s, %s)\n' docker "$DOCKER_HOST" "$(engine_api_version)" "$who"
  else
    printf '%-15s down  %s\n' docker "$DOCKER_HOST"
    return 1
  fi
}
