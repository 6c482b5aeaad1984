#!/usr/bin/env bats
# scripts/cleanup.sh removes runt's leftovers, and only those. Every test works under
# its own --root, so the machine's other containers are never touched.

REPO_ROOT=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)
CLEANUP="$REPO_ROOT/scripts/cleanup.sh"

setup() {
    [ "$(id -u)" = 0 ] || skip "cleanup needs root"
    T=$(mktemp -d /tmp/runt-cleanup.XXXXXX)
    # One hierarchy to fake a container's cgroup in: the v2 root, or v1's pids.
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then CG=/sys/fs/cgroup; else CG=/sys/fs/cgroup/pids; fi
    [ -d "$CG/runt" ] && MADE_PARENT=0 || MADE_PARENT=1
    ID=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
    PIDS=()
}

teardown() {
    local pid m
    [ -n "${T:-}" ] || return 0
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done
    awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/self/mounts | sort -r |
        while read -r m; do umount -l "$m"; done
    [ -d "$CG/runt/$ID" ] && rmdir "$CG/runt/$ID"
    [ -d "$CG/runt-cleanup-sibling-$ID" ] && rmdir "$CG/runt-cleanup-sibling-$ID"
    [ "$MADE_PARENT" = 1 ] && [ -d "$CG/runt" ] && rmdir "$CG/runt" 2>/dev/null
    rm -rf --one-file-system "$T"
}

# A container as a broken exercise leaves it: a state dir with a mount below it, a
# cgroup runt/<id> with a process in it. Next to it, things cleanup must not touch.
fabricate() {
    mkdir -p "$T/containers/$ID"/{upper,work,merged} "$T/containers/not-an-id"
    mount -t tmpfs runt-cleanup-test "$T/containers/$ID/merged"
    mkdir -p "$CG/runt/$ID" "$CG/runt-cleanup-sibling-$ID"
    sleep 300 &
    PIDS+=($!)
    echo "$!" >"$CG/runt/$ID/cgroup.procs"
    sleep 300 &
    PIDS+=($!)
    echo "$!" >"$CG/runt-cleanup-sibling-$ID/cgroup.procs"
}

@test "cleanup: removes a container's processes, cgroup, mounts and state, and nothing else" {
    fabricate
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"nothing of runt's is left"* ]]
    sleep 0.2
    ! kill -0 "${PIDS[0]}" 2>/dev/null
    [ ! -e "$CG/runt/$ID" ]
    ! grep -q " $T/" /proc/self/mounts
    [ ! -e "$T/containers/$ID" ]
    # Untouched: a process and a cgroup outside runt/, a directory that is no container id.
    kill -0 "${PIDS[1]}"
    [ -d "$CG/runt-cleanup-sibling-$ID" ]
    [ -d "$T/containers/not-an-id" ]
}

@test "cleanup: --dry-run says what it would do and does nothing" {
    fabricate
    run bash "$CLEANUP" --root "$T" --dry-run
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"kill -KILL ${PIDS[0]}"* ]]
    [[ $output == *"rmdir $CG/runt/$ID"* ]]
    [[ $output == *"umount -l $T/containers/$ID/merged"* ]]
    [[ $output == *"dry run"* ]]
    kill -0 "${PIDS[0]}"
    [ -d "$CG/runt/$ID" ]
    grep -q " $T/containers/$ID/merged " /proc/self/mounts
}

@test "cleanup: a container whose runt was SIGKILLed is removed" {
    local runt stage
    for stage in "$REPO_ROOT"/[0-9][0-9]-*/runt; do runt=$stage; done
    [ -n "${runt:-}" ] && [ -x "$runt" ] || skip "no stage is built"
    [ "$(basename "$(dirname "$runt")" | cut -c1-2)" -ge 05 ] || skip "needs stage 05 or later"
    RUNT_ROOT="$T" "$runt" run "$REPO_ROOT/images/busybox" sleep 300 &
    PIDS+=($!)
    for _ in $(seq 100); do
        ls "$T/containers" 2>/dev/null | grep -q . && [ -n "$(pgrep -P "${PIDS[0]}")" ] && break
        sleep 0.05
    done
    child=$(pgrep -P "${PIDS[0]}")
    [ -n "$child" ]
    PIDS+=("$child")
    ID=$(ls "$T/containers")
    kill -KILL "${PIDS[0]}"
    # runt is gone; its container, cgroup and state are not.
    sleep 0.2
    kill -0 "$child"
    [ -d "$T/containers/$ID" ]
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$child" 2>/dev/null
    [ ! -e "$T/containers/$ID" ]
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$ID" 2>/dev/null)" ]
}

@test "cleanup: bad arguments give a usage line and exit 2" {
    run bash "$CLEANUP" --bogus
    [ "$status" -eq 2 ]
    [[ $output == usage:* ]]
    run bash "$CLEANUP" --root
    [ "$status" -eq 2 ]
    [[ $output == *"--root needs a directory"* ]]
}
