#!/usr/bin/env bash
# Build a Debian base image for greeter's Dockerfile without a registry:
# debootstrap a minimal bookworm with python3 and venv, then `docker import`.
#
#   docker/build-base-image.sh [IMAGE] [CA_BUNDLE]
#
# IMAGE defaults to greeter-base:bookworm. CA_BUNDLE, if given, is copied
# into the image and trusted by pip (PIP_CERT) and Python's ssl: needed
# where downloads pass a TLS-intercepting proxy. DEBIAN_MIRROR overrides
# the mirror. Then build greeter with:
#
#   docker build --build-arg BASE_IMAGE=greeter-base:bookworm .
set -euo pipefail

image=${1:-greeter-base:bookworm}
ca_bundle=${2:-}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" != 0 ]; then
    echo "$0: debootstrap needs root" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && apt-get install -y -qq debootstrap
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase \
    --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror"
# An image needs no package lists or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
         --change 'ENV LANG=C.UTF-8'
         --change 'CMD ["python3"]')
if [ -n "$ca_bundle" ]; then
    bundle=/usr/local/share/ca-certificates/build-ca-bundle.crt
    install -D -m 0644 "$ca_bundle" "$root$bundle"
    changes+=(--change "ENV PIP_CERT=$bundle"
              --change "ENV SSL_CERT_FILE=$bundle"
              --change "ENV REQUESTS_CA_BUNDLE=$bundle")
fi

tar -C "$root" -c . | docker import "${changes[@]}" - "$image"
echo "built $image"
