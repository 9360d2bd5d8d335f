#!/usr/bin/env bash
# Build a Debian base image for greeter's Dockerfiles without a registry:
# debootstrap a minimal trixie (Debian 13, Python 3.13) with python3 and
# venv, then `docker import`. Run as root. docker/prepare-offline-images.sh
# runs it first, then builds the other images on it.
#
#   docker/build-base-image.sh [IMAGE] [CA_BUNDLE]
#
# IMAGE defaults to greeter-base:trixie. CA_BUNDLE is a PEM file copied
# into the image and trusted by pip (PIP_CERT) and Python's ssl, so that
# downloads through a TLS-intercepting proxy work: by default the host's
# own bundle (CA_BUNDLE or SSL_CERT_FILE from the environment, else the
# usual place of Debian, Fedora, openSUSE or Alpine). DEBIAN_MIRROR and
# DEBIAN_SECURITY_MIRROR override the mirrors.
set -euo pipefail

image=${1:-greeter-base:trixie}
ca_bundle=${2:-${CA_BUNDLE:-${SSL_CERT_FILE:-}}}
suite=trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
me=$(basename "$0")

die() {
    echo "$me: $*" >&2
    exit 1
}

if [ "$(id -u)" != 0 ]; then
    die "debootstrap needs root: run this as root"
fi
if ! docker info >/dev/null 2>&1; then
    die "cannot reach the Docker engine: start dockerd, or set DOCKER_HOST"
fi
if [ -n "$ca_bundle" ]; then
    [ -f "$ca_bundle" ] || die "CA bundle $ca_bundle: no such file"
else
    for candidate in /etc/ssl/certs/ca-certificates.crt \
                     /etc/pki/tls/certs/ca-bundle.crt \
                     /etc/ssl/ca-bundle.pem \
                     /etc/ssl/cert.pem; do
        if [ -f "$candidate" ]; then
            ca_bundle=$candidate
            break
        fi
    done
    [ -n "$ca_bundle" ] || die "no CA bundle found in the usual places:" \
        "give its path as CA_BUNDLE (the second argument)"
fi
if ! command -v debootstrap >/dev/null; then
    command -v apt-get >/dev/null \
        || die "debootstrap is missing and there is no apt-get to install" \
               "it: install debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq debootstrap; } >/dev/null 2>&1 \
        || die "debootstrap is missing and apt-get cannot install it:" \
               "install debootstrap"
fi
[ -e "/usr/share/debootstrap/scripts/$suite" ] \
    || die "this debootstrap does not know Debian $suite: install a newer" \
           "debootstrap"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase \
    --include=python3,python3-venv,ca-certificates \
    "$suite" "$root" "$mirror"
# The suite's updates and security updates too, as Debian's own images
# have them: an image built on this one (haproxy's) installs the fixed
# packages.
signed_by=
for keyring in /usr/share/keyrings/debian-archive-keyring.pgp \
               /usr/share/keyrings/debian-archive-keyring.gpg; do
    if [ -f "$root$keyring" ]; then
        signed_by="Signed-By: $keyring"
        break
    fi
done
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
$signed_by

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
$signed_by
EOF
# An image needs no package lists or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

bundle=/usr/local/share/ca-certificates/build-ca-bundle.crt
install -D -m 0644 "$ca_bundle" "$root$bundle"
tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PIP_CERT=$bundle" \
    --change "ENV SSL_CERT_FILE=$bundle" \
    --change "ENV REQUESTS_CA_BUNDLE=$bundle" \
    --change 'CMD ["python3"]' \
    - "$image"
echo "built $image (trusting $ca_bundle)"
