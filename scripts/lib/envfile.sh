# shellcheck shell=bash disable=SC2034,SC2153 # variables are shared between the sourced files
# envfile.sh - $ENV_FILE: KEY=VALUE lines for the tests (values contain no spaces, so the
# file is also `set -a; source`-able by bash). Written atomically.

write_env_file() {
  {
    echo "DOCKER_HOST=$DOCKER_HOST"
    [ -z "${DOCKER_API_VERSION:-}" ] || echo "DOCKER_API_VERSION=$DOCKER_API_VERSION"
    echo "BERTH_TEST_ETCD_ENDPOINT=http://127.0.0.1:$ETCD_PORT"
    echo "BERTH_TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT"
    echo "BERTH_TEST_AUTH_REGISTRY_TLS=127.0.0.1:$AUTH_TLS_PORT"
    echo "BERTH_TEST_AUTH_REGISTRY_HTTP=127.0.0.1:$AUTH_HTTP_PORT"
    echo "BERTH_TEST_REGISTRY_USER=$REGISTRY_USER"
    echo "BERTH_TEST_REGISTRY_PASSWORD=$REGISTRY_PASSWORD"
    echo "BERTH_TEST_REGISTRY_CA=$REGISTRY_CA"
    echo "BERTH_TEST_GIT_URL=$GIT_BASE_URL/repo.git"
    echo "BERTH_TEST_GIT_ROOT=$GIT_ROOT"
    echo "BERTH_TEST_GIT_BASE_URL=$GIT_BASE_URL"
    echo "BERTH_TEST_GIT_AUTH_URL=$GIT_BASE_URL/private/repo.git"
    echo "BERTH_TEST_GIT_USER=$GIT_USER"
    echo "BERTH_TEST_GIT_PASSWORD=$GIT_PASSWORD"
    echo "BERTH_TEST_IMAGE_BUSYBOX=$IMAGE_BUSYBOX"
    echo "BERTH_TEST_IMAGE_NGINX=$IMAGE_NGINX"
    echo "BERTH_TEST_IMAGE_REGISTRY=$IMAGE_REGISTRY"
  } >"$ENV_FILE.tmp"
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}
