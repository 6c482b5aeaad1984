#!/usr/bin/env bash
# The README's two commands on a machine that has never seen runt.
#
# debootstraps a minimal Debian 12 (minbase, plus make: the one thing the README
# asks a reader to have besides the repository itself), copies a clean
# `git archive` of this repository into it, and runs there, as root:
#   make test                         which must install everything it needs itself
#   make run CMD='cat /etc/os-release'   which must print the busybox image's os-release
#
# It runs in a private mount namespace whose root is pivoted to the new system, with
# /proc, /sys (the host's cgroup mounts below it) and /dev bound in: every mount
# vanishes with the namespace, even if this script is killed. Everything else lives
# in one directory that is removed at the end, on every exit path.
#
# make test's cgroup v2 VM is skipped there (RUNT_SKIP_VM=1): CI boots it
# already, and a second boot under TCG costs ~10 minutes. The test still checks that
# setup installed qemu. FRESH_VM=1 runs the VM too.
#
# Needs root, debootstrap (scripts/setup.sh --ci) and Debian's archive:
#   FRESH_MIRROR   the mirror (default: the first one in this machine's apt sources)
#   FRESH_DIR      where the chroot is made (default: /var/tmp)
#   FRESH_TARGET   the make target instead of "test" (e.g. test-1, while debugging)
# The downloaded packages are cached in ~/.cache/runt/ and reused.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "fresh-machine: $*" >&2; exit 1; }
say() { echo "# fresh-machine: $*"; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v debootstrap >/dev/null || die "debootstrap is missing (run: sudo scripts/setup.sh --ci)"
git -C "$repo" rev-parse HEAD >/dev/null 2>&1 || die "$repo is not a git checkout"

# The mirror this machine's apt uses: deb822 "URIs:" or one-line "deb URL suite".
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f"
    done
    [ -f /etc/apt/sources.list ] &&
        awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list
    return 0
}
mirror=${FRESH_MIRROR:-$(apt_mirror | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
target=${FRESH_TARGET:-test}

cache="${HOME:-/root}/.cache/runt"
tarball="$cache/debootstrap-bookworm-minbase-make.tgz"
work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/runt-fresh.XXXXXX")
root="$work/root"

# Remove the work directory, but never through a mount: the bind mounts live in a
# namespace of their own, so none should be here; if one is, stop and say so.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local left
    left=$(awk -v d="$work/" 'index($2, d) == 1 {print $2}' /proc/self/mounts)
    if [ -n "$left" ]; then
        echo "fresh-machine: mounts left under $work, not removing it:" >&2
        echo "$left" >&2
        return 1
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

phase_start=$SECONDS
phase() {
    say "$1 ($((SECONDS - phase_start)) s so far)"
}

# 1. A minimal Debian 12. The .debs are downloaded once and cached as a tarball.
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
    phase "downloading Debian 12 minbase from $mirror"
    debootstrap --variant=minbase --include=make --make-tarball="$tarball.part" \
        bookworm "$work/download" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap --make-tarball failed"; }
    mv "$tarball.part" "$tarball"
    rm -rf --one-file-system "$work/download"
fi
phase "unpacking Debian 12 minbase into $root"
debootstrap --variant=minbase --include=make --unpack-tarball="$tarball" \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"

# What a fresh machine must not have, or the test proves nothing.
for tool in cc gcc bats busybox qemu-system-x86_64; do
    if chroot "$root" /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
        die "the fresh root already has $tool"
    fi
done

# 2. The repository as a reader would clone it: committed files only.
mkdir -p "$root/root/runt"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$root/root/runt"

# 3. The README's commands, in the new root, inside a private mount namespace.
phase "running: make $target; make run CMD='cat /etc/os-release'"
status=0
unshare --mount --propagation private /bin/bash -s "$root" "$target" "${FRESH_VM:-}" <<'INNER' ||
set -euo pipefail
root=$1 target=$2 vm=$3
# Not chroot: pivot into the new root, as a real machine boots into its own. Under
# chroot, unshare(CLONE_NEWUSER) fails and the chroot escape test would climb out of
# the fresh root too. pivot_root needs the new root to be a mount point; /proc, /sys
# (with the host's cgroup mounts below it) and /dev go on top of that mount.
# Private namespace: all of these vanish with it.
mount --bind "$root" "$root"
for fs in proc sys dev; do
    mount --rbind "/$fs" "$root/$fs"
done
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
skip_vm=1
[ -n "$vm" ] && skip_vm=
exec /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb RUNT_SKIP_VM="$skip_vm" /bin/bash -c '
    set -uo pipefail
    cd /root/runt
    make '"$target"'
    test_status=$?
    echo "# fresh-machine: make '"$target"' exited $test_status"
    command -v qemu-system-x86_64 >/dev/null && echo "# fresh-machine: setup installed qemu" ||
        { echo "fresh-machine: setup did not install qemu"; test_status=1; }
    out=$(make run CMD="cat /etc/os-release" 2>&1)
    echo "$out"
    if ! grep -q "^NAME=\"runt busybox\"$" <<<"$out"; then
        echo "fresh-machine: make run did not print the busybox image'"'"'s os-release"
        test_status=1
    fi
    exit $test_status'
INNER
    status=$?

phase "done"
if [ "$status" = 0 ]; then
    say "passed: make $target and make run work on a fresh Debian 12"
else
    say "FAILED (status $status)"
fi
exit "$status"
