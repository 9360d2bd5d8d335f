#!/usr/bin/env bash
# Prepare every image docker-compose.yml needs, on a machine that reaches
# no container registry (Debian's mirror and PyPI are enough). Run as
# root, from anywhere in the checkout:
#
#   docker/prepare-offline-images.sh [CA_BUNDLE]
#
# 1. greeter-base:trixie, a Debian 13 base with Python 3.13, by
#    docker/build-base-image.sh (debootstrap; installed by apt-get when
#    missing), trusting CA_BUNDLE: by default the host's own bundle, for
#    downloads through a TLS-intercepting proxy;
# 2. greeter-haproxy:trixie, haproxy from Debian's packages on that base
#    (docker/haproxy/Dockerfile), which fronts every deployment;
# 3. .env beside docker-compose.yml, which Compose reads by itself:
#    BASE_IMAGE and HAPROXY_IMAGE name the two images (other lines of an
#    existing .env are kept);
# 4. greeter's image and the keystone profile's Keystone
#    (docker/keystone/Dockerfile), built on the base by `docker compose
#    build`, so that `up` finds them in Docker's build cache.
#
# Then `docker compose up`, with or without --scale api=3 or
# --profile keystone, works unchanged.
set -euo pipefail

base_image=greeter-base:trixie
haproxy_image=greeter-haproxy:trixie
me=$(basename "$0")
top=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "$me: $*" >&2
    exit 1
}

case "${1:-}" in
    -h|--help)
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
        exit 0
        ;;
esac
[ $# -le 1 ] || die "too many arguments: give at most a CA bundle's path"

command -v docker >/dev/null || die "docker is not installed"
docker compose version >/dev/null 2>&1 \
    || die "Compose v2 (\`docker compose\`) is missing: install Docker's" \
           "docker-compose-plugin package"

# Its own checks (root, the Docker engine, the CA bundle, debootstrap)
# come before any download.
"$top/docker/build-base-image.sh" "$base_image" "${1:-}"

docker build --build-arg "BASE_IMAGE=$base_image" -t "$haproxy_image" \
    "$top/docker/haproxy"

env_file=$top/.env
kept=
if [ -f "$env_file" ]; then
    kept=$(grep -Ev "^(BASE_IMAGE=|HAPROXY_IMAGE=|# $me:)" "$env_file" \
           || true)
fi
{
    [ -z "$kept" ] || printf '%s\n' "$kept"
    echo "# $me: the images it built, so that compose needs no registry."
    echo "BASE_IMAGE=$base_image"
    echo "HAPROXY_IMAGE=$haproxy_image"
} >"$env_file.new"
mv "$env_file.new" "$env_file"

# Every profile's buildable services, on the base that .env now names.
(cd "$top" && BASE_IMAGE=$base_image HAPROXY_IMAGE=$haproxy_image \
    docker compose --profile '*' build)

cat <<EOF
$me: ready. $env_file names $base_image and $haproxy_image:
    docker compose up
    docker compose --profile keystone up
    docker compose up --scale api=3
EOF
