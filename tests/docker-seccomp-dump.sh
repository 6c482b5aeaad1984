#!/usr/bin/env bash
# docker-seccomp-dump.sh OUT [PODMAN-RUN-OPTION...]
#
# Start a busybox container under Docker's default seccomp profile as podman applies it
# (/usr/share/containers/seccomp.json, containers-common's copy of the profile) through runc,
# with Docker's default capabilities (podman's own default set lacks AUDIT_WRITE, MKNOD and
# NET_RAW, so they are added), and write what tests/bin/seccomp-dump reads from its filter to
# OUT. Options go to `podman run`: --cap-add SYS_ADMIN, --security-opt seccomp=FILE...
#
# It leaves nothing behind. podman's storage, run and tmp dirs live in a temporary directory;
# podman runs in a private mount namespace with a tmpfs on /run, so that runc's and podman's
# state under /run vanish with it; the container's cgroups go under /runt-seccomp-<pid> and
# are removed at the end. Exits 77 (and says why) when podman or runc is missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dump="$repo/tests/bin/seccomp-dump"
image="${RUNT_IMAGE:-$repo/images/busybox}"

# The part that runs in the private mount namespace: --inside TMP OUT CGROUP [OPTION...].
if [ "${1:-}" = --inside ]; then
    tmp=$2 out=$3 cgroup=$4
    shift 4
    mount -t tmpfs -o mode=0755 runt-seccomp-run /run
    export TMPDIR="$tmp/tmp"
    podman=(podman --root "$tmp/storage" --runroot "$tmp/run" --tmpdir "$tmp/tmp"
        --network-config-dir "$tmp/net" --storage-driver vfs --cgroup-manager cgroupfs
        --events-backend none)
    tar -C "$image" -c . | "${podman[@]}" import -q - runt-seccomp-busybox >/dev/null
    id=$("${podman[@]}" run -d --runtime runc --network none --cgroups no-conmon \
        --cgroup-parent "$cgroup" --cap-add AUDIT_WRITE,MKNOD,NET_RAW \
        --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$@" \
        runt-seccomp-busybox sleep 1000)
    pid=$("${podman[@]}" inspect -f '{{.State.Pid}}' "$id")
    status=0
    "$dump" "$pid" >"$out" || status=$?
    "${podman[@]}" rm -f -t 0 "$id" >/dev/null
    exit "$status"
fi

[ $# -ge 1 ] || { echo "usage: $0 OUT [PODMAN-RUN-OPTION...]" >&2; exit 2; }
out=$1
shift
for cmd in podman runc; do
    command -v "$cmd" >/dev/null || { echo "no $cmd on this machine" >&2; exit 77; }
done
[ -x "$dump" ] || { echo "no $dump (run make)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/runt-seccomp-podman.XXXXXX)
cleanup() {
    local _ d left=1
    set +e
    # conmon and podman's cleanup outlive `podman rm` for a moment; they hold the namespace.
    for _ in $(seq 1 100); do
        pgrep -f "$tmp" >/dev/null || break
        sleep 0.1
    done
    # Our own cgroup tree only, in the v2 hierarchy or each v1 one; runc may still be
    # emptying the container's.
    for _ in $(seq 1 50); do
        left=0
        for d in "/sys/fs/cgroup/runt-seccomp-$$" /sys/fs/cgroup/*/"runt-seccomp-$$"; do
            [ -d "$d" ] || continue
            find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
            [ -d "$d" ] && left=1
        done
        [ "$left" = 0 ] && break
        sleep 0.1
    done
    [ "$left" = 0 ] || echo "docker-seccomp-dump: could not remove cgroup runt-seccomp-$$" >&2
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/tmp"
unshare -m --propagation private "$0" --inside "$tmp" "$out" "/runt-seccomp-$$" "$@"
