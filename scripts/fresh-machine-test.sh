#!/usr/bin/env bash
# The README's two commands on a machine that has never seen runt.
#
# debootstraps a minimal Debian 12 into a temporary directory, copies a clean
# `git archive HEAD` of this repository into it (/root/runt), and runs there, as root:
#   make test                            which must install everything it needs itself
#   make run CMD='cat /etc/os-release'   which must print the busybox image's os-release
#
# The system is `--variant=minbase` plus make, and ca-certificates only when the
# mirror is https: the README asks a reader for git and make, and git is only needed
# to clone, which `git archive` does here. No sudo either: the commands run as root,
# where `sudo make test` and `make test` are the same. Anything more would hide a
# dependency that setup.sh forgot.
#
# It runs in a private mount namespace whose root is pivoted to the new system, with
# /proc, /sys (the host's cgroup mounts below it) and /dev bound in: every mount
# vanishes with the namespace, even if this script is killed. The commands run in a
# process group of their own, which is killed if this script is interrupted; then
# scripts/cleanup.sh --root removes the runt containers and cgroups of that run (only
# those: the ones whose state is inside the new system). The directory is removed on
# every exit path, after findmnt shows that nothing is mounted below it.
#
# make test's cgroup v2 VM is skipped there (RUNT_SKIP_VM=1): CI boots it on the host
# already, and a second boot under TCG costs another ~10-25 minutes. The test checks
# instead that setup installed qemu. FRESH_VM=1 runs the VM too.
#
# Needs root, debootstrap (scripts/setup.sh --ci) and a Debian mirror:
#   FRESH_MIRROR   the mirror (default: the bookworm one in this machine's apt sources)
#   FRESH_DIR      where the new system is made (default: /var/tmp)
#   FRESH_TARGET   the make target instead of "test" (e.g. test-1, while debugging)
#   FRESH_VM=1     run make test's cgroup v2 VM too
# The downloaded packages are cached in ~/.cache/runt/ and reused; the system made
# from them is new every time.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# This script's own messages go to fds 8 and 9, its stdout and stderr, so that they
# reach the reader even from a trap that fires while a job's output goes to a log.
exec 8>&1 9>&2
die() { echo "fresh-machine: $*" >&9; exit 1; }
say() { echo "# fresh-machine: $*" >&8; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v debootstrap >/dev/null || die "debootstrap is missing (run: sudo scripts/setup.sh --ci)"
command -v findmnt >/dev/null || die "findmnt is missing (util-linux)"
git -C "$repo" rev-parse HEAD >/dev/null 2>&1 || die "$repo is not a git checkout"

# The mirror this machine's apt uses for bookworm (or stable), from one-line
# "deb [options] URL SUITE ..." entries or deb822 stanzas ("URIs:", "Suites:").
apt_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -e 's/\[[^]]*\]//' "$f" |
            awk '$1 == "deb" && ($3 == "bookworm" || $3 == "stable") {print $2; exit}'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function done_stanza() {
                 if (!found && uri != "" && suites ~ / (bookworm|stable) /) { print uri; found = 1; exit }
                 uri = ""; suites = " "
             }
             BEGIN { suites = " " }
             /^[ \t]*$/ { done_stanza(); next }
             tolower($1) == "uris:" { uri = $2 }
             tolower($1) == "suites:" { for (i = 2; i <= NF; i++) suites = suites $i " " }
             END { done_stanza() }' "$f"
    done
    return 0
}
mirror=${FRESH_MIRROR:-$(apt_mirror | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
target=${FRESH_TARGET:-test}
include="make"
case "$mirror" in https:*) include="make,ca-certificates" ;; esac

cache="${HOME:-/root}/.cache/runt"
tarball="$cache/debootstrap-bookworm-minbase-${include//,/-}.tgz"
work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/runt-fresh.XXXXXX")
root="$work/root"

# Long commands run in a process group of their own (setsid; run in the background,
# this shell's child is no group leader, so setsid does not fork and $! is the group),
# so that an interrupted run can stop them all, and only them.
job=""
run_job() {
    setsid "$@" <&0 8>&- 9>&- &
    job=$!
    local rc=0
    wait "$job" || rc=$?
    stop_job
    return "$rc"
}
# The live members of the job's process group (zombies wait for init, not for us).
# shellcheck disable=SC2317 # called by stop_job
job_members() {
    ps -e -o pid=,pgid=,stat=,args= | awk -v g="$job" '$2 == g && $3 !~ /^Z/'
}
# shellcheck disable=SC2317 # also called by the traps
stop_job() {
    [ -n "$job" ] || return 0
    if [ -n "$(job_members)" ]; then
        say "stopping what is left of process group $job:"
        job_members | cut -c1-150 | sed 's/^/#   /' >&8
        kill -TERM -- "-$job" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -n "$(job_members)" ] || break
            sleep 0.2
        done
        # Only while members are left: an empty group's number may go to someone else.
        [ -z "$(job_members)" ] || kill -KILL -- "-$job" 2>/dev/null || true
    fi
    # The group leader is this shell's child: reap it.
    wait "$job" 2>/dev/null || true
    job=""
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local status=$? c left
    trap - EXIT INT TERM HUP
    stop_job
    # Containers of this run that are still there (only if it was interrupted or leaked):
    # their state lives inside the new system, so cleanup.sh --root touches only them.
    for c in "$root"/var/lib/runt/containers "$root"/tmp/*/*/containers; do
        if [ ! -d "$c" ] || [ -z "$(ls -A "$c")" ]; then continue; fi
        bash "$repo/scripts/cleanup.sh" --root "${c%/containers}" >&9 2>&9 || true
    done
    # The bind mounts lived in the private namespace, which is gone: nothing may be
    # mounted below $work here. If something is, stop rather than delete through it.
    left=$(findmnt -rn -o TARGET | awk -v d="$work" '$0 == d || index($0, d "/") == 1')
    if [ -n "$left" ]; then
        echo "fresh-machine: still mounted below $work, so it is left in place:" >&9
        echo "$left" >&9
        exit 1
    fi
    rm -rf --one-file-system "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "fresh-machine: interrupted" >&9; exit 130' INT TERM HUP

# Each phase's duration, printed at the end.
times=() phase_name="" phase_start=$SECONDS
phase() { # phase NAME MESSAGE: end the current phase, start NAME
    [ -z "$phase_name" ] || times+=("$phase_name $((SECONDS - phase_start)) s")
    phase_name=$1 phase_start=$SECONDS
    [ $# -lt 2 ] || say "$2"
}

# 1. A minimal Debian 12. The .debs are downloaded once and kept as a tarball.
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
    phase download "downloading Debian 12 minbase + $include from $mirror (cached in $tarball)"
    run_job unshare --mount --propagation private \
        debootstrap --variant=minbase --include="$include" --make-tarball="$tarball.part" \
        bookworm "$work/download" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&9; die "debootstrap --make-tarball failed"; }
    mv "$tarball.part" "$tarball"
    rm -rf --one-file-system "$work/download"
fi
phase debootstrap "debootstrap: Debian 12 minbase + $include into $root"
# debootstrap mounts /proc and /sys in the new root while it installs: in a private
# mount namespace those mounts cannot outlive it, even if it is killed.
run_job unshare --mount --propagation private \
    debootstrap --variant=minbase --include="$include" --unpack-tarball="$tarball" \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&9; die "debootstrap failed"; }
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
phase "make $target + make run" "running make $target, then make run CMD='cat /etc/os-release', in the new root"
status=0
run_job unshare --mount --propagation private /bin/bash -s "$root" "$target" "${FRESH_VM:-}" <<'INNER' ||
set -euo pipefail
root=$1 target=$2 vm=$3
# Not chroot: pivot into the new root, as a real machine boots into its own. Under
# chroot, runt cannot make / private, unshare(CLONE_NEWUSER) fails, and stage 03's
# chroot-escape test climbs out of the fresh root. pivot_root needs the new root to be
# a mount point; /proc, /sys (with the host's cgroup mounts below it) and /dev (with
# /dev/pts) go on top of it. Private namespace: all of these vanish with it.
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
    TERM=dumb RUNT_SKIP_VM="$skip_vm" TARGET="$target" /bin/bash -c '
    set -uo pipefail
    cd /root/runt
    # Only make test and make run install what is missing: another target needs it first.
    if [ "$TARGET" != test ]; then make setup || exit 1; fi
    make "$TARGET"
    test_status=$?
    echo "# fresh-machine: make $TARGET exited $test_status after $SECONDS s"
    if command -v qemu-system-x86_64 >/dev/null; then
        echo "# fresh-machine: setup installed qemu-system-x86_64"
    else
        echo "fresh-machine: setup did not install qemu-system-x86_64"
        test_status=1
    fi
    start=$SECONDS
    out=$(make run CMD="cat /etc/os-release" 2>&1)
    echo "$out"
    echo "# fresh-machine: make run took $((SECONDS - start)) s"
    if ! grep -qx "NAME=\"runt busybox\"" <<<"$out"; then
        echo "fresh-machine: make run did not print the busybox image'"'"'s os-release"
        test_status=1
    fi
    exit $test_status'
INNER
    status=$?

phase end
say "times: $(printf '%s, ' "${times[@]}" | sed 's/, $//')"
if [ "$status" = 0 ]; then
    say "passed: make $target and make run work on a fresh Debian 12"
else
    say "FAILED (status $status)"
fi
exit "$status"
