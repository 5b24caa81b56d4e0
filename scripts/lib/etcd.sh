# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# etcd.sh - a single-member etcd on 127.0.0.1 (data kept in the state dir across up/down).

etcd_healthy() {
  curl -s --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'
}

ensure_etcd() {
  etcd_healthy && return 0
  stop_daemon etcd # our own instance, if it hangs
  require_free_port etcd "$ETCD_PORT" "$ETCD_PEER_PORT"
  mkdir -p "$DATA_DIR/etcd"
  chmod 0700 "$DATA_DIR/etcd"
  local peer=http://127.0.0.1:$ETCD_PEER_PORT client=http://127.0.0.1:$ETCD_PORT
  daemon_start etcd 30 etcd_healthy etcd --name berth --data-dir "$DATA_DIR/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "berth=$peer" --initial-cluster-state new \
    --heartbeat-interval 50 --election-timeout 300 --logger zap
}

etcd_status() {
  local s=down
  etcd_healthy && s=up
  printf '%-15s %-5s http://127.0.0.1:%s\n' etcd "$s" "$ETCD_PORT"
  [ "$s" = up ]
}
