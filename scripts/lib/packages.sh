# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# packages.sh - make sure the Debian packages behind the services are installed.
# As root with apt: installs what is missing (no daemon is started by the install).
# Otherwise: names what is missing and fails. BERTH_SKIP_APT=1 skips the installation.

# Packages of the Docker engine: not needed when an engine already answers.
ENGINE_PACKAGES=(docker.io containerd runc)
SERVICE_PACKAGES=(etcd-server etcd-client docker-registry nginx-light busybox-static fcgiwrap
  apache2-utils git btrfs-progs curl openssl ca-certificates iproute2 procps
  openssh-server openssh-client
  chromium) # chromium: the status page's browser test (driven by playwright-core)

# Commands used by scripts/services, by package (for machines without dpkg).
declare -A PACKAGE_COMMAND=(
  [docker.io]=dockerd [containerd]=containerd [runc]=runc [etcd-server]=etcd
  [etcd-client]=etcdctl [docker-registry]=docker-registry [nginx-light]=nginx
  [busybox-static]=busybox [fcgiwrap]=fcgiwrap [apache2-utils]=htpasswd [git]=git
  [btrfs-progs]=mkfs.btrfs [curl]=curl [openssl]=openssl [iproute2]=ss [procps]=ps
  [chromium]=chromium [openssh-server]=sshd [openssh-client]=ssh-keygen
)

# missing_packages NAME... - print the packages that are not installed
missing_packages() {
  local p cmd
  if have dpkg-query; then
    # one dpkg-query for all: it prints "name install ok installed" for installed ones
    local -A ok=()
    while read -r p cmd; do
      [ "$cmd" = 'install ok installed' ] && ok[$p]=1
    done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
    for p in "$@"; do [ -n "${ok[$p]:-}" ] || echo "$p"; done
  else
    for p in "$@"; do
      cmd=${PACKAGE_COMMAND[$p]:-}
      [ -z "$cmd" ] || have "$cmd" || [ -x "/usr/sbin/$cmd" ] || echo "$p"
    done
  fi
}

ensure_packages() {
  local wanted=("${SERVICE_PACKAGES[@]}") missing
  engine_answers || wanted+=("${ENGINE_PACKAGES[@]}")
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0

  if [ "${BERTH_SKIP_APT:-0}" = 1 ]; then
    log "BERTH_SKIP_APT=1: not installing ${missing[*]}"
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! have apt-get; then
    die "missing packages: ${missing[*]}. Install them (Debian, as root: apt-get install --no-install-recommends ${missing[*]}) or set BERTH_SKIP_APT=1."
  fi
  apt_install "${missing[@]}"
  STEP_NOTE="installed ${#missing[@]} package(s)"
}

# apt_install PACKAGE... - install without starting any daemon (policy-rc.d denies starts,
# for sysvinit and systemd alike), waiting for a dpkg lock held by another apt.
apt_install() {
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0 log_file=$LOG_DIR/apt.log
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by berth scripts/services during apt-get install\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
  fi
  log "apt-get install ${*} (log: $log_file)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${apt[@]}" install --no-install-recommends "$@" >>"$log_file" 2>&1; then
    # fresh machines have no package lists yet
    "${apt[@]}" update >>"$log_file" 2>&1 &&
      "${apt[@]}" install --no-install-recommends "$@" >>"$log_file" 2>&1 || rc=$?
  fi
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get install failed" "$log_file"
}
