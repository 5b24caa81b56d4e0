# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# nginx.sh - run private nginx instances (own config, prefix, pid and logs in the state dir).
# The system nginx configuration is never used.

# nginx_conf_head NAME - main/events/http preamble for instance NAME (leaves "http {" open)
nginx_conf_head() {
  local name=$1 prefix=$RUN_DIR/$1
  mkdir -p "$prefix/tmp"
  # As root, workers run as root too: they must read htpasswd files and reach the fcgiwrap
  # socket inside the state dir, wherever TMPDIR puts it and whatever the umask.
  [ "$(id -u)" = 0 ] && echo 'user root root;'
  cat <<EOF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $LOG_DIR/$name.log warn;
events { worker_connections 512; }
http {
  access_log $LOG_DIR/$name.access.log;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
EOF
}

# nginx_start NAME CHECK_FN - test $CONF_DIR/NAME.conf, start nginx in the foreground of
# its own session, wait until CHECK_FN passes
nginx_start() {
  local name=$1 check=$2 conf=$CONF_DIR/$1.conf
  nginx -t -q -p "$RUN_DIR/$name" -c "$conf" >>"$LOG_DIR/$name.log" 2>&1 ||
    die "$name: invalid nginx configuration $conf" "$LOG_DIR/$name.log"
  daemon_start "$name" 15 "$check" nginx -p "$RUN_DIR/$name" -c "$conf" -g 'daemon off;'
}
