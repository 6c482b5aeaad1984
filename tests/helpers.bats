#!/usr/bin/env bats
# The leak checks of tests/helpers.bash look only at what the test made: other
# containers on the machine (podman's, another runt's) are never reported, and a
# real leak of runt's still is. RUNT names a built stage (run-tests.sh passes the last).
bats_require_minimum_version 1.5.0

load helpers

setup() {
    runt_setup
    FOREIGN=$(mktemp -d /tmp/runt-foreign.XXXXXX)
    FOREIGN_PIDS=()
}

teardown() {
    local pid
    for pid in "${FOREIGN_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${FOREIGN_PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done
    grep -q " $FOREIGN/merged " /proc/self/mountinfo && umount "$FOREIGN/merged"
    [ -n "${FOREIGN_CG:-}" ] && rmdir "$FOREIGN_CG"
    [ -n "${FOREIGN_EMPTY_CG:-}" ] && rmdir "$FOREIGN_EMPTY_CG"
    rm -rf "$FOREIGN"
    # Whatever a test made on purpose as a leak, cleanup removes before the real check.
    bash "$REPO_ROOT/scripts/cleanup.sh" --root "$RUNT_ROOT" >/dev/null 2>&1 || true
    runt_teardown
}

# As another runtime would: an overlay mounted on the host, and a process in a mount
# namespace of its own, neither carrying anything of this test (a clean environment).
foreign_container() {
    mkdir -p "$FOREIGN"/{lower,upper,work,merged}
    mount -t overlay overlay -o "lowerdir=$FOREIGN/lower,upperdir=$FOREIGN/upper,workdir=$FOREIGN/work" \
        "$FOREIGN/merged"
    env -i unshare -m --propagation private sleep 300 3>&- &
    FOREIGN_PIDS+=($!)
    wait_for "[ \"\$(readlink /proc/$!/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]"
}

@test "helpers: another runtime's overlay mount and namespaced process are not runt's leaks" {
    foreign_container
    run assert_no_leaks
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "helpers: another runt's runt/<id> cgroups, busy or empty, are not this test's" {
    local parent
    parent=$(runt_cgroup_parents | head -n1)
    [ -n "$parent" ] || skip "no runt/ cgroup parent here yet"
    FOREIGN_CG="$parent/0123456789ab"
    FOREIGN_EMPTY_CG="$parent/ba9876543210"
    mkdir "$FOREIGN_CG" "$FOREIGN_EMPTY_CG"
    env -i sleep 300 3>&- &
    FOREIGN_PIDS+=($!)
    echo $! >"$FOREIGN_CG/cgroup.procs"
    run assert_no_leaks
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "helpers: a real leak is still reported: a container process left behind" {
    foreign_container
    # A process in a mount namespace of its own that carries this test's state root in
    # its environment: what a container whose runt could not end it looks like.
    unshare -m --propagation private sleep 300 3>&- &
    FOREIGN_PIDS+=($!)
    wait_for "[ \"\$(readlink /proc/$!/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]"
    run assert_no_leaks
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == "leaked processes: $! (sleep) " ]]
}

@test "helpers: a real leak is still reported: the state and cgroups of a runt killed by SIGKILL" {
    stage_at_least 4 || skip "stages before 04 keep no state"
    start_container -- sh -c 'echo ready; sleep 100'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -KILL "$BG_PID"
    wait_container
    run assert_no_leaks
    echo "$output"
    [ "$status" -eq 1 ]
    if stage_at_least 5; then
        [[ "$output" == "leaked cgroups: "*"/runt/"* ]]
    else
        [[ "$output" == "leaked state: "* ]]
    fi
}

@test "helpers: a real leak is still reported: a mount left below the test's directory" {
    mkdir "$SCRATCH/mnt"
    mount -t tmpfs runt-helpers-test "$SCRATCH/mnt"
    run assert_no_leaks
    umount "$SCRATCH/mnt"
    echo "$output"
    [ "$status" -eq 1 ]
    [ "$output" = "leaked mounts: $SCRATCH/mnt" ]
}
