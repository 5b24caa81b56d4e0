# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# sshd.sh - git over SSH: Debian's OpenSSH server on 127.0.0.1:$GIT_SSH_PORT, its own host key,
# no PAM, one user ($GIT_SSH_USER) whose every session is forced through a wrapper that runs
# only `git-upload-pack '<path>'`, on the repositories the HTTP git service serves ($GIT_ROOT):
#   ssh://$GIT_SSH_USER@127.0.0.1:$GIT_SSH_PORT/NAME.git   or   $GIT_SSH_USER@127.0.0.1:NAME.git
# Test keys, made here (state dir $SSH_STATE): id_ed25519 (OpenSSH format), id_ecdsa (PEM),
# id_rsa (OpenSSH format, passphrase $GIT_SSH_PASSPHRASE) are authorized; id_wrong is not.
# known_hosts holds the server's host key as `[127.0.0.1]:$GIT_SSH_PORT`.

SSH_STATE=$STATE_DIR/ssh
SSHD_CONFIG=$CONF_DIR/sshd_config
SSHD_HOST_KEY=$SSH_STATE/ssh_host_ed25519_key
SSH_AUTHORIZED_KEYS=$SSH_STATE/authorized_keys
SSH_KNOWN_HOSTS=$SSH_STATE/known_hosts
SSH_WRAPPER=$SSH_STATE/git-upload-pack-only
GIT_SSH_URL=ssh://$GIT_SSH_USER@127.0.0.1:$GIT_SSH_PORT/repo.git

sshd_healthy() {
  ssh-keyscan -T 2 -p "$GIT_SSH_PORT" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519
}

# ssh_key NAME TYPE FORMAT PASSPHRASE - a client key pair in $SSH_STATE, made once
ssh_key() {
  [ -s "$SSH_STATE/$1" ] && return 0
  local bits=()
  [ "$2" = rsa ] && bits=(-b 3072)
  ssh-keygen -q -t "$2" "${bits[@]}" -m "$3" -N "$4" -C "berth-test-$1" -f "$SSH_STATE/$1"
}

ensure_ssh_user() {
  # /bin/sh only runs the ForceCommand wrapper. Password '*': none works, but the account is
  # not "locked" ('!'), which sshd without PAM refuses even for keys.
  if ! id "$GIT_SSH_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$GIT_ROOT" --shell /bin/sh -p '*' "$GIT_SSH_USER"
  fi
  [ "$(getent shadow "$GIT_SSH_USER" | cut -d: -f2)" = '*' ] || usermod -p '*' "$GIT_SSH_USER"
}

ensure_ssh_files() {
  mkdir -p "$SSH_STATE" /run/sshd
  chmod 0755 "$SSH_STATE"
  [ -s "$SSHD_HOST_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C berth-test-host -f "$SSHD_HOST_KEY"
  ssh_key id_ed25519 ed25519 RFC4716 ''
  ssh_key id_ecdsa ecdsa PEM ''
  ssh_key id_rsa rsa RFC4716 "$GIT_SSH_PASSPHRASE"
  ssh_key id_wrong ed25519 RFC4716 ''
  # the tests read the private keys as root; sshd reads only the public ones
  chmod 0600 "$SSH_STATE"/id_* "$SSHD_HOST_KEY"
  chmod 0644 "$SSH_STATE"/*.pub
  cat "$SSH_STATE/id_ed25519.pub" "$SSH_STATE/id_ecdsa.pub" "$SSH_STATE/id_rsa.pub" \
    >"$SSH_AUTHORIZED_KEYS.tmp"
  chmod 0644 "$SSH_AUTHORIZED_KEYS.tmp"
  mv -f "$SSH_AUTHORIZED_KEYS.tmp" "$SSH_AUTHORIZED_KEYS"
  printf '[127.0.0.1]:%s %s\n' "$GIT_SSH_PORT" "$(cut -d' ' -f1,2 "$SSHD_HOST_KEY.pub")" \
    >"$SSH_KNOWN_HOSTS"
  ssh_wrapper >"$SSH_WRAPPER.tmp"
  chmod 0755 "$SSH_WRAPPER.tmp"
  mv -f "$SSH_WRAPPER.tmp" "$SSH_WRAPPER"
  sshd_conf >"$SSHD_CONFIG"
}

# The forced command: `git-upload-pack '<path>'` on a repository under $GIT_ROOT, nothing else.
ssh_wrapper() {
  cat <<EOF
#!/bin/sh
# written by berth scripts/services: only git-upload-pack, only under $GIT_ROOT
set -f
cmd=\${SSH_ORIGINAL_COMMAND:-}
case \$cmd in
"git-upload-pack '"*"'") ;;
*) echo "berth test sshd: only git-upload-pack is allowed" >&2; exit 128 ;;
esac
path=\${cmd#"git-upload-pack '"}
path=\${path%"'"}
case \$path in
*..* | *"'"* | "") echo "berth test sshd: bad repository path" >&2; exit 128 ;;
esac
export GIT_CONFIG_GLOBAL=$GIT_BACKEND_CONFIG GIT_CONFIG_NOSYSTEM=1
# Like git-http-backend (stateless, which allows it anyway): a commit that is no longer a tip
# can still be fetched by its SHA, as berth does for a rollback.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=uploadpack.allowReachableSHA1InWant GIT_CONFIG_VALUE_0=true
exec git-upload-pack --strict "$GIT_ROOT/\${path#/}"
EOF
}

sshd_conf() {
  cat <<EOF
# written by berth scripts/services
ListenAddress 127.0.0.1:$GIT_SSH_PORT
HostKey $SSHD_HOST_KEY
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $GIT_SSH_USER
AuthorizedKeysFile $SSH_AUTHORIZED_KEYS
StrictModes no
ForceCommand $SSH_WRAPPER
DisableForwarding yes
PermitTTY no
PermitUserRC no
PrintMotd no
MaxStartups 100:30:200
LogLevel VERBOSE
EOF
}

ensure_sshd() {
  ensure_ssh_user
  ensure_ssh_files
  sshd_healthy && return 0
  stop_daemon sshd-git
  require_free_port sshd-git "$GIT_SSH_PORT"
  /usr/sbin/sshd -t -f "$SSHD_CONFIG" || die "sshd rejects $SSHD_CONFIG"
  daemon_start sshd-git 10 sshd_healthy /usr/sbin/sshd -D -e -f "$SSHD_CONFIG"
}

sshd_status() {
  local s=down
  sshd_healthy && s=up
  printf '%-15s %-5s %s (keys %s)\n' git-ssh "$s" "$GIT_SSH_URL" "$SSH_STATE"
  [ "$s" = up ]
}
