# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# images.sh - local test images, built with `docker import` from host binaries
# (no registry is ever pulled from):
#   berth-test/busybox:1   busybox-static
#   berth-test/nginx:1     host nginx + its libraries + busybox + minimal /etc
#   berth-test/registry:1  Debian's docker-registry (distribution 2.8) + busybox
# An existing tag is kept unless BERTH_REBUILD_IMAGES=1.

IMAGE_LABEL_CHANGE='LABEL io.berth.managed=true io.berth.role=test-image'
ROOTFS_TMP= # removed by the entry script's EXIT trap if a build fails half-way

# rootfs_busybox DIR - busybox with every applet as a symlink, a minimal /etc
rootfs_busybox() {
  local r=$1 applet
  mkdir -p "$r"/{bin,dev,etc,proc,root,run,sys,tmp,var/tmp}
  chmod 1777 "$r/tmp" "$r/var/tmp"
  cp /bin/busybox "$r/bin/busybox"
  if have perl; then # one process instead of ~400 `ln` calls
    /bin/busybox --list | (cd "$r/bin" && perl -nle 'symlink("busybox", $_) unless -e $_')
  else
    for applet in $(/bin/busybox --list); do
      [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"
    done
  fi
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    >"$r/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$r/etc/nsswitch.conf"
}

# copy_with_libs BINARY DIR [PATH_IN_IMAGE] - a host binary plus the shared libraries
# (and dynamic loader) `ldd` lists for it; nothing more for a static binary
copy_with_libs() {
  local bin=$1 r=$2 dest=${3:-$1} libs lib
  mkdir -p "$r$(dirname "$dest")"
  cp -L "$bin" "$r$dest"
  libs=$(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}') || true
  for lib in $libs; do cp -L --parents "$lib" "$r/"; done
}

rootfs_nginx() {
  local r=$1
  rootfs_busybox "$r"
  copy_with_libs /usr/sbin/nginx "$r"
  mkdir -p "$r"/etc/nginx/conf.d "$r"/var/log/nginx "$r"/usr/share/nginx/html \
    "$r"/var/lib/nginx/{body,fastcgi,proxy,scgi,uwsgi}
  cp /etc/nginx/mime.types "$r/etc/nginx/"
  printf '%s\n' 'www-data:x:33:33:www-data:/var/www:/bin/false' >>"$r/etc/passwd"
  printf '%s\n' 'www-data:x:33:' >>"$r/etc/group"
  cat >"$r/etc/nginx/nginx.conf" <<'EOF'
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log stderr;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  sendfile on;
  include /etc/nginx/conf.d/*.conf;
}
EOF
}

rootfs_registry() {
  local r=$1
  rootfs_busybox "$r"
  copy_with_libs /usr/bin/docker-registry "$r" /bin/registry
  mkdir -p "$r/etc/docker/registry" "$r/var/lib/registry"
  # listen address can be overridden at run time: REGISTRY_HTTP_ADDR=127.0.0.1:PORT
  cat >"$r/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
}

# build_image TAG ROOTFS_FN [--change INSTRUCTION]...
build_image() {
  local tag=$1 fill=$2 old new; shift 2
  if [ "${BERTH_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    return 0
  fi
  old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null) || old=
  ROOTFS_TMP=$(mktemp -d "$STATE_DIR/rootfs.XXXXXX")
  chmod 0755 "$ROOTFS_TMP" # becomes / of the image
  "$fill" "$ROOTFS_TMP"
  tar -C "$ROOTFS_TMP" -c --numeric-owner --owner=0 --group=0 . |
    docker import --change "$IMAGE_LABEL_CHANGE" "$@" - "$tag" >>"$LOG_DIR/images.log" 2>&1 ||
    die "docker import of $tag failed" "$LOG_DIR/images.log"
  rm -rf "$ROOTFS_TMP"
  ROOTFS_TMP=
  new=$(docker image inspect --format '{{.Id}}' "$tag")
  # a rebuild leaves the old image untagged: drop it unless a container still uses it
  [ -z "$old" ] || [ "$old" = "$new" ] || docker image rm "$old" >/dev/null 2>&1 || true
  STEP_NOTE="${STEP_NOTE:-built} $tag"
}

ensure_images() {
  if [ "${BERTH_REBUILD_IMAGES:-0}" != 1 ] &&
    docker image inspect "$IMAGE_BUSYBOX" "$IMAGE_NGINX" "$IMAGE_REGISTRY" >/dev/null 2>&1; then
    return 0
  fi
  build_image "$IMAGE_BUSYBOX" rootfs_busybox --change 'CMD ["sh"]'
  build_image "$IMAGE_NGINX" rootfs_nginx --change 'CMD ["nginx", "-g", "daemon off;"]' \
    --change 'EXPOSE 80'
  build_image "$IMAGE_REGISTRY" rootfs_registry \
    --change 'CMD ["registry", "serve", "/etc/docker/registry/config.yml"]' --change 'EXPOSE 5000'
}

# remove_images - every berth-test/* image and anything labelled as a berth test image
remove_images() {
  local ids
  ids=$({
    docker image ls -q --filter 'reference=berth-test/*'
    docker image ls -q --filter label=io.berth.role=test-image
  } 2>/dev/null | sort -u)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  docker image rm -f $ids >>"$LOG_DIR/images.log" 2>&1 ||
    log "some berth-test images could not be removed (still used by a container?)"
  log "removed berth-test images"
}

images_status() {
  local rc=0 tag s
  for tag in "$IMAGE_BUSYBOX" "$IMAGE_NGINX" "$IMAGE_REGISTRY"; do
    s=down
    docker image inspect "$tag" >/dev/null 2>&1 && s=up
    printf '%-15s %-5s %s\n' image "$s" "$tag"
    [ "$s" = up ] || rc=1
  done
  return "$rc"
}
