# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# registry.sh - two Docker registries (Debian's docker-registry, distribution 2.8):
#   registry       open, http://127.0.0.1:$REGISTRY_PORT
#   registry-auth  upstream on 127.0.0.1:$AUTH_UPSTREAM_PORT, reachable for tests only through
#   nginx-registry  HTTP Basic auth proxy: https://127.0.0.1:$AUTH_TLS_PORT (self-signed
#                   certificate) and http://127.0.0.1:$AUTH_HTTP_PORT

REGISTRY_CA=$CERT_DIR/registry.crt
REGISTRY_KEY=$CERT_DIR/registry.key
REGISTRY_HTPASSWD=$CONF_DIR/registry.htpasswd

registry_healthy() { [ "$(http_code "http://127.0.0.1:$1/v2/")" = 200 ]; }
open_registry_healthy() { registry_healthy "$REGISTRY_PORT"; }
auth_upstream_healthy() { registry_healthy "$AUTH_UPSTREAM_PORT"; }

auth_proxy_healthy() {
  [ "$(http_code "http://127.0.0.1:$AUTH_HTTP_PORT/v2/" -u "$REGISTRY_USER:$REGISTRY_PASSWORD")" = 200 ] &&
    [ "$(http_code "https://127.0.0.1:$AUTH_TLS_PORT/v2/" --cacert "$REGISTRY_CA" \
      -u "$REGISTRY_USER:$REGISTRY_PASSWORD")" = 200 ]
}

# registry_config NAME PORT - our own config (Debian's /etc/docker/registry/config.yml
# listens on all interfaces, so it is never used)
registry_config() {
  mkdir -p "$DATA_DIR/$1"
  cat >"$CONF_DIR/$1.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: $1
storage:
  filesystem:
    rootdirectory: $DATA_DIR/$1
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$2
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
}

# ensure_registry NAME PORT CHECK_FN
ensure_registry() {
  local name=$1 port=$2 check=$3
  "$check" && return 0
  stop_daemon "$name"
  require_free_port "$name" "$port"
  registry_config "$name" "$port"
  daemon_start "$name" 30 "$check" docker-registry serve "$CONF_DIR/$name.yml"
}

ensure_open_registry() { ensure_registry registry "$REGISTRY_PORT" open_registry_healthy; }
ensure_auth_upstream() { ensure_registry registry-auth "$AUTH_UPSTREAM_PORT" auth_upstream_healthy; }

# ensure_registry_cert - self-signed, CA:TRUE so that it is its own trust anchor
# (curl --cacert, Node's `ca` / NODE_EXTRA_CA_CERTS). Returns 0 if it was (re)made.
ensure_registry_cert() {
  [ -s "$REGISTRY_KEY" ] && openssl x509 -checkend 86400 -noout -in "$REGISTRY_CA" >/dev/null 2>&1 && return 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -keyout "$REGISTRY_KEY.tmp" -out "$REGISTRY_CA.tmp" >>"$LOG_DIR/openssl.log" 2>&1 ||
    die "openssl could not create the registry certificate" "$LOG_DIR/openssl.log"
  chmod 0600 "$REGISTRY_KEY.tmp"
  mv -f "$REGISTRY_KEY.tmp" "$REGISTRY_KEY"
  mv -f "$REGISTRY_CA.tmp" "$REGISTRY_CA"
}

# ensure_htpasswd FILE USER PASSWORD - bcrypt entry; rewritten only when it does not match.
# nginx reads the file on every request, so a change needs no reload.
ensure_htpasswd() {
  htpasswd -vb "$1" "$2" "$3" >/dev/null 2>&1 && return 0
  htpasswd -nbB "$2" "$3" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

ensure_auth_proxy() {
  local name=nginx-registry
  if ensure_registry_cert; then stop_daemon "$name"; fi
  ensure_htpasswd "$REGISTRY_HTPASSWD" "$REGISTRY_USER" "$REGISTRY_PASSWORD"
  auth_proxy_healthy && return 0
  stop_daemon "$name"
  require_free_port "$name" "$AUTH_TLS_PORT" "$AUTH_HTTP_PORT"
  auth_proxy_conf >"$CONF_DIR/$name.conf"
  nginx_start "$name" auth_proxy_healthy
}

# Recipe: https://distribution.github.io/distribution/recipes/nginx/
auth_proxy_conf() {
  nginx_conf_head nginx-registry
  cat <<EOF
  upstream docker-registry { server 127.0.0.1:$AUTH_UPSTREAM_PORT; }

  ## Set a variable to help us decide if we need to add the
  ## 'Docker-Distribution-Api-Version' header. The registry always sets this
  ## header; when nginx itself answers (401), it would be missing.
  map \$upstream_http_docker_distribution_api_version \$docker_distribution_api_version {
    '' 'registry/2.0';
  }

  server {
    listen 127.0.0.1:$AUTH_TLS_PORT ssl;
    listen 127.0.0.1:$AUTH_HTTP_PORT;
    server_name 127.0.0.1 localhost;

    ssl_certificate     $REGISTRY_CA;
    ssl_certificate_key $REGISTRY_KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers HIGH:!aNULL:!MD5;
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:SSL:1m;

    # disable any limits to avoid HTTP 413 for large image uploads
    client_max_body_size 0;
    # required to avoid HTTP 411: see Issue #1486 (https://github.com/moby/moby/issues/1486)
    chunked_transfer_encoding on;

    location /v2/ {
      # Do not allow connections from docker 1.5 and earlier
      # docker pre-1.6.0 did not properly set the user agent on ping, catch "Go *" user agents
      if (\$http_user_agent ~ "^(docker\\/1\\.(3|4|5(?!\\.[0-9]-dev))|Go ).*\$" ) {
        return 404;
      }
      auth_basic "Registry realm";
      auth_basic_user_file $REGISTRY_HTPASSWD;
      add_header 'Docker-Distribution-Api-Version' \$docker_distribution_api_version always;

      proxy_pass                          http://docker-registry;
      proxy_set_header  Host              \$http_host;   # required for docker client's sake
      proxy_set_header  X-Real-IP         \$remote_addr; # pass on real client's IP
      proxy_set_header  X-Forwarded-For   \$proxy_add_x_forwarded_for;
      proxy_set_header  X-Forwarded-Proto \$scheme;
      proxy_read_timeout                  900;
    }
  }
}
EOF
}

registry_status() {
  local rc=0 s
  s=down; open_registry_healthy && s=up
  printf '%-15s %-5s http://127.0.0.1:%s\n' registry "$s" "$REGISTRY_PORT"
  [ "$s" = up ] || rc=1
  s=down
  auth_upstream_healthy && [ "$(http_code "http://127.0.0.1:$AUTH_HTTP_PORT/v2/")" = 401 ] &&
    auth_proxy_healthy && s=up
  printf '%-15s %-5s https://127.0.0.1:%s http://127.0.0.1:%s (Basic auth, upstream 127.0.0.1:%s)\n' \
    registry-auth "$s" "$AUTH_TLS_PORT" "$AUTH_HTTP_PORT" "$AUTH_UPSTREAM_PORT"
  [ "$s" = up ] || rc=1
  return "$rc"
}
