# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# git.sh - git over smart HTTP: nginx + fcgiwrap + git http-backend on 127.0.0.1:$GIT_PORT.
# Every bare repository under $GIT_ROOT is served (GIT_HTTP_EXPORT_ALL), pushes included:
#   http://127.0.0.1:$GIT_PORT/NAME.git           open (anonymous clone and push)
#   http://127.0.0.1:$GIT_PORT/private/NAME.git   HTTP Basic auth ($GIT_USER)
# Seeded: repo.git and private/repo.git, one commit on main each.

GIT_ROOT=$DATA_DIR/git
GIT_HTPASSWD=$CONF_DIR/git.htpasswd
GIT_BACKEND_CONFIG=$CONF_DIR/git-http-backend.gitconfig
FCGIWRAP_SOCKET=$RUN_DIR/fcgiwrap.sock
GIT_BASE_URL=http://127.0.0.1:$GIT_PORT

git_open_healthy() {
  [ "$(http_code "$GIT_BASE_URL/repo.git/info/refs?service=git-upload-pack")" = 200 ]
}
git_private_healthy() {
  [ "$(http_code "$GIT_BASE_URL/private/repo.git/info/refs?service=git-receive-pack" \
    -u "$GIT_USER:$GIT_PASSWORD")" = 200 ]
}
git_healthy() { git_open_healthy && git_private_healthy; }
fcgiwrap_ready() { [ -S "$FCGIWRAP_SOCKET" ]; }

# seed_repo PATH DESCRIPTION - bare repository with one commit on main, made atomically
# and without the user's git configuration (signing, hooks, default branch, ...)
seed_repo() {
  [ -d "$1" ] && return 0
  local work
  work=$(mktemp -d "$STATE_DIR/seed.XXXXXX")
  (
    export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
    git -C "$work" init -q -b main src
    printf '# %s\n\nSeed repository of the berth test services.\n' "$2" >"$work/src/README.md"
    git -C "$work/src" add README.md
    git -C "$work/src" -c user.name=berth -c user.email=berth@localhost commit -q -m "initial commit"
    git clone -q --bare "$work/src" "$work/bare.git"
    git -C "$work/bare.git" remote remove origin
  )
  mkdir -p "$(dirname "$1")"
  mv "$work/bare.git" "$1"
  rm -rf "$work"
}

ensure_git_repos() {
  seed_repo "$GIT_ROOT/repo.git" "open test repository"
  seed_repo "$GIT_ROOT/private/repo.git" "private test repository"
  # Global config of git http-backend (repository configs may still override it):
  # pushes allowed everywhere (the private prefix is guarded by nginx), and repositories
  # created by other users are served too.
  cat >"$GIT_BACKEND_CONFIG" <<EOF
[http]
	receivepack = true
	uploadpack = true
[safe]
	directory = *
EOF
}

ensure_git_http() {
  ensure_git_repos
  ensure_htpasswd "$GIT_HTPASSWD" "$GIT_USER" "$GIT_PASSWORD"
  git_healthy && return 0
  stop_daemon nginx-git
  stop_daemon fcgiwrap group # its prefork children outlive the parent
  require_free_port nginx-git "$GIT_PORT"
  rm -f "$FCGIWRAP_SOCKET"
  daemon_start fcgiwrap 10 fcgiwrap_ready \
    fcgiwrap -c 4 -s "unix:$FCGIWRAP_SOCKET" -p /usr/lib/git-core/git-http-backend
  git_backend_conf >"$CONF_DIR/nginx-git.backend.conf"
  git_nginx_conf >"$CONF_DIR/nginx-git.conf"
  nginx_start nginx-git git_healthy
}

# FastCGI parameters shared by the open and the private location
git_backend_conf() {
  cat <<EOF
fastcgi_pass unix:$FCGIWRAP_SOCKET;
include /etc/nginx/fastcgi_params;
fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
fastcgi_param GIT_PROJECT_ROOT $GIT_ROOT;
fastcgi_param GIT_HTTP_EXPORT_ALL "";
fastcgi_param GIT_CONFIG_GLOBAL $GIT_BACKEND_CONFIG;
fastcgi_param GIT_PROTOCOL \$http_git_protocol;
fastcgi_param PATH_INFO \$uri;
fastcgi_buffering off;
fastcgi_read_timeout 600;
EOF
}

git_nginx_conf() {
  nginx_conf_head nginx-git
  cat <<EOF
  server {
    listen 127.0.0.1:$GIT_PORT;
    server_name 127.0.0.1 localhost;
    client_max_body_size 0;

    location /private/ {
      auth_basic "berth git";
      auth_basic_user_file $GIT_HTPASSWD;
      include $CONF_DIR/nginx-git.backend.conf;
    }
    location / {
      include $CONF_DIR/nginx-git.backend.conf;
    }
  }
}
EOF
}

git_status() {
  local rc=0 s
  s=down; git_open_healthy && s=up
  printf '%-15s %-5s %s/repo.git (root %s)\n' git-http "$s" "$GIT_BASE_URL" "$GIT_ROOT"
  [ "$s" = up ] || rc=1
  s=down
  [ "$(http_code "$GIT_BASE_URL/private/repo.git/info/refs?service=git-upload-pack")" = 401 ] &&
    git_private_healthy && s=up
  printf '%-15s %-5s %s/private/repo.git (Basic auth)\n' git-http-auth "$s" "$GIT_BASE_URL"
  [ "$s" = up ] || rc=1
  return "$rc"
}
