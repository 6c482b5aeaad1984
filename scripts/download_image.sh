#!/usr/bin/env bash
# Put a root filesystem in images/NAME/, and write nowhere else.
#
#   scripts/download_image.sh [--force] [NAME]
#
#   busybox         (default) built offline from the host's static busybox, in seconds
#   alpine          Alpine's minirootfs for this architecture (needs internet)
#   debian          Debian stable via debootstrap (needs a Debian mirror)
#   docker:IMAGE    docker create + export of IMAGE (needs docker)
#   podman:IMAGE    podman create + export of IMAGE (needs podman)
#
# Re-running is safe: an existing image is kept unless --force is given.
set -euo pipefail

usage() {
    echo "usage: $0 [--force] [busybox|alpine|debian|docker:IMAGE|podman:IMAGE]" >&2
    exit 2
}
die() { echo "download_image: $*" >&2; exit 1; }

force=0
name=busybox
while [ $# -gt 0 ]; do
    case "$1" in
    --force) force=1 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) name=$1 ;;
    esac
    shift
done
case "$name" in
busybox | alpine | debian) dirname=$name ;;
docker:?* | podman:?*) dirname=$(echo "${name#*:}" | tr -c 'A-Za-z0-9._\n-' '_') ;;
*) usage ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/static-busybox.sh
. "$repo/scripts/static-busybox.sh"
dest="$repo/images/$dirname"
if [ -d "$dest" ] && [ "$force" = 0 ]; then
    echo "image $name is ready in $dest (use --force to rebuild)"
    exit 0
fi

# Build into a temporary directory beside the destination, then move it in place,
# so an interrupted build never leaves a half-made image behind.
mkdir -p "$repo/images"
tmp=$(mktemp -d "$repo/images/.$dirname.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

build_busybox() {
    local bb applet
    bb=$(static_busybox) || die "no statically linked busybox on this machine (run: sudo scripts/setup.sh)"

    mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,tmp,var/tmp}
    chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
    chmod 700 "$tmp/root"
    cp "$bb" "$tmp/bin/busybox"
    # One link per applet, where busybox says it belongs (bin/ls, usr/bin/awk, ...).
    for applet in $("$tmp/bin/busybox" --list-full); do
        [ -e "$tmp/$applet" ] && continue
        ln -s /bin/busybox "$tmp/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
        >"$tmp/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$tmp/etc/group"
    echo runt >"$tmp/etc/hostname"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$tmp/etc/hosts"
    cat >"$tmp/etc/os-release" <<OSR
NAME="runt busybox"
ID=runt-busybox
VERSION_ID="$("$tmp/bin/busybox" | head -n1 | awk '{print $2}')"
PRETTY_NAME="runt busybox image (built offline from $bb)"
OSR
}

build_alpine() {
    local arch base ver
    arch=$(uname -m)
    base="https://dl-cdn.alpinelinux.org/alpine/latest-stable/releases/$arch"
    command -v curl >/dev/null || die "alpine needs curl"
    ver=$(curl -fsS --max-time 15 "$base/latest-releases.yaml" | awk '/file: alpine-minirootfs/ {print $2; exit}') ||
        die "cannot reach $base (alpine needs internet; the busybox image works offline)"
    [ -n "$ver" ] || die "no minirootfs listed at $base"
    curl -fsS --max-time 120 "$base/$ver" | tar -xz -C "$tmp" || die "download of $ver failed"
}

build_debian() {
    command -v debootstrap >/dev/null || die "debian needs debootstrap (apt-get install debootstrap)"
    debootstrap --variant=minbase stable "$tmp" >/dev/null || die "debootstrap failed (is a Debian mirror reachable?)"
}

build_exported() {
    local tool=${name%%:*} image=${name#*:} id
    command -v "$tool" >/dev/null || die "$tool is not installed"
    id=$("$tool" create "$image" /bin/true) || die "$tool create $image failed"
    # The temporary container goes away whatever happens to the export.
    if ! "$tool" export "$id" | tar -x -C "$tmp"; then
        "$tool" rm -f "$id" >/dev/null
        die "$tool export of $image failed"
    fi
    "$tool" rm -f "$id" >/dev/null
}

case "$name" in
busybox) build_busybox ;;
alpine) build_alpine ;;
debian) build_debian ;;
*) build_exported ;;
esac

chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "image $name is ready in $dest"
