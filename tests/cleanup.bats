#!/usr/bin/env bats
# scripts/cleanup.sh removes runt's leftovers and nothing else. Each test makes its
# leftovers under a temporary state root and runs cleanup with --root DIR, which touches
# only the containers listed in DIR/containers, so other containers on the machine are
# safe. Next to them it makes things cleanup must leave alone. teardown removes whatever
# a failed test leaves behind: only what this file made, by pid and by path.
#
#   sudo bats tests/cleanup.bats

REPO_ROOT=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)
CLEANUP="$REPO_ROOT/scripts/cleanup.sh"

# The hierarchy to fake a container's cgroup in: v1's pids controller, or else the v2
# one. Found in /proc/self/mounts, as cleanup finds them.
pids_hierarchy() {
    local m
    m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ {print $2; exit}' /proc/self/mounts)
    [ -n "$m" ] || m=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
    echo "$m"
}

new_id() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }

setup() {
    [ "$(id -u)" = 0 ] || skip "cleanup needs root: sudo bats tests/cleanup.bats"
    CG=$(pids_hierarchy)
    [ -n "$CG" ] || skip "no cgroup hierarchy with the pids controller"
    MADE_PARENT=0
    [ -d "$CG/runt" ] || MADE_PARENT=1
    T=$(mktemp -d /tmp/runt-cleanup.XXXXXX)
    ID=$(new_id)    # a container listed under $T/containers: cleanup removes it
    OTHER=$(new_id) # a container that is not listed there: cleanup leaves it alone
    SIBLING="$CG/runt-cleanup-test-$ID"
    IDS=("$ID" "$OTHER")
    PIDS=()
}

# The state of a process (R, S, T, Z...), empty once it is gone.
state_of() { awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null; }
alive() { local s; s=$(state_of "$1"); [ -n "$s" ] && [ "$s" != Z ]; }

# wait_gone PID: up to 5 s for PID to end (a zombie counts as ended).
wait_gone() {
    local _
    for _ in $(seq 100); do alive "$1" || return 0; sleep 0.05; done
    return 1
}

teardown() {
    local pid m id mp
    [ -n "${T:-}" ] || return 0
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait_gone "$pid" || true; done
    # Mounts this test made below $T, deepest first.
    awk -v t="$T/" 'index($2, t) == 1 {print length($2) "\t" $2}' /proc/self/mounts | sort -rn |
        cut -f2- | while read -r mp; do umount -l "$(printf '%b' "$mp")"; done
    # This test's cgroups: its containers' runt/<id> on every hierarchy, and the sibling.
    while read -r m; do
        for id in "${IDS[@]}"; do
            [ -d "$m/runt/$id" ] || continue
            for pid in $(cat "$m/runt/$id/cgroup.procs"); do kill -KILL "$pid" 2>/dev/null || true; done
            for _ in $(seq 100); do rmdir "$m/runt/$id" 2>/dev/null && break; sleep 0.05; done
        done
    done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)
    [ -d "$SIBLING" ] && rmdir "$SIBLING"
    if [ "$MADE_PARENT" = 1 ]; then rmdir "$CG/runt" 2>/dev/null || true; fi
    if grep -q " $T/" /proc/self/mounts; then
        echo "mounts left under $T; not removing it" >&2
        return 1
    fi
    rm -rf --one-file-system "$T"
}

# in_cgroup DIR PID: move PID into the cgroup DIR.
in_cgroup() { echo "$2" >"$1/cgroup.procs"; }

# sleeper_in DIR: start a sleep in the cgroup DIR, recorded for teardown. Sets SLEEPER.
sleeper_in() {
    sleep 300 3>&- &
    SLEEPER=$!
    PIDS+=("$SLEEPER")
    in_cgroup "$1" "$SLEEPER"
}

# fake_runt NAME: a "runt" (a copy of bash in a stage-like folder) with a child, sleep.
# Sets RUNT_PID and CHILD_PID.
fake_runt() {
    mkdir -p "$T/bin/05-fake"
    [ -x "$T/bin/05-fake/runt" ] || cp "$(command -v bash)" "$T/bin/05-fake/runt"
    "$T/bin/05-fake/runt" -c 'sleep 300 & echo $! >"$0"; wait' "$T/$1.child" 3>&- &
    RUNT_PID=$!
    PIDS+=("$RUNT_PID")
    for _ in $(seq 100); do [ -s "$T/$1.child" ] && break; sleep 0.05; done
    CHILD_PID=$(cat "$T/$1.child")
    PIDS+=("$CHILD_PID")
}

# What a broken exercise leaves of container $ID, and things that are not its.
fabricate() {
    # Its state directory, with a mount below it and one below that (a space in its name,
    # as /proc/self/mounts escapes it).
    mkdir -p "$T/containers/$ID"/{upper,work,merged}
    mount -t tmpfs runt-cleanup-test "$T/containers/$ID/merged"
    mkdir "$T/containers/$ID/merged/a dir"
    mount -t tmpfs runt-cleanup-test "$T/containers/$ID/merged/a dir"
    # Its cgroup, holding the container of a runt still running (R1, C1) and a process
    # whose runt died (O1).
    mkdir -p "$CG/runt/$ID"
    fake_runt one
    R1=$RUNT_PID C1=$CHILD_PID
    in_cgroup "$CG/runt/$ID" "$C1"
    sleeper_in "$CG/runt/$ID"
    O1=$SLEEPER

    # Not cleanup's: container $OTHER, not listed in $T/containers, with its runt (R2, C2);
    # a cgroup outside runt/ (S1 in it); a directory that is no container id; a mount
    # under the state root but in no container's directory.
    mkdir -p "$CG/runt/$OTHER" "$SIBLING" "$T/containers/not-an-id" "$T/elsewhere"
    fake_runt two
    R2=$RUNT_PID C2=$CHILD_PID
    in_cgroup "$CG/runt/$OTHER" "$C2"
    sleeper_in "$SIBLING"
    S1=$SLEEPER
    mount -t tmpfs runt-cleanup-test "$T/elsewhere"
}

# Everything that is not container $ID's is as fabricate() left it.
assert_others_untouched() {
    alive "$R2"
    alive "$C2"
    alive "$S1"
    grep -qx "$C2" "$CG/runt/$OTHER/cgroup.procs"
    grep -qx "$S1" "$SIBLING/cgroup.procs"
    [ -d "$T/containers/not-an-id" ]
    grep -q " $T/elsewhere " /proc/self/mounts
}

@test "cleanup --root: removes a container's runt, processes, cgroup, mounts and state, nothing else" {
    fabricate
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "cleanup: 7 actions; nothing of runt's is left" ]
    wait_gone "$R1"
    wait_gone "$C1"
    wait_gone "$O1"
    [ ! -e "$CG/runt/$ID" ]
    ! grep -q " $T/containers/" /proc/self/mounts
    [ ! -e "$T/containers/$ID" ]
    assert_others_untouched
    [[ $output != *"$OTHER"* ]]
}

@test "cleanup --root: a second run finds nothing to do" {
    fabricate
    run bash "$CLEANUP" --root "$T"
    [ "$status" -eq 0 ]
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = "cleanup: 0 actions; nothing of runt's is left" ]
    assert_others_untouched
}

@test "cleanup --dry-run: one line per action, in order, and nothing done" {
    fabricate
    run bash "$CLEANUP" --root "$T" --dry-run
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 8 ]
    [[ ${lines[0]} == "cleanup: would run: kill -KILL $R1   # runt: $T/bin/05-fake/runt" ]]
    [[ $output == *"would run: kill -KILL $C1   # in cgroup $CG/runt/$ID: sleep"* ]]
    [[ $output == *"would run: kill -KILL $O1   # in cgroup $CG/runt/$ID: sleep"* ]]
    [ "${lines[3]}" = "cleanup: would run: rmdir $CG/runt/$ID" ]
    [ "${lines[4]}" = "cleanup: would run: umount -l $T/containers/$ID/merged/a dir" ]
    [ "${lines[5]}" = "cleanup: would run: umount -l $T/containers/$ID/merged" ]
    [ "${lines[6]}" = "cleanup: would run: rm -rf --one-file-system -- $T/containers/$ID" ]
    [ "${lines[7]}" = "cleanup: dry run: 7 actions would be taken" ]
    alive "$R1"
    alive "$C1"
    alive "$O1"
    [ -d "$CG/runt/$ID" ]
    grep -q " $T/containers/$ID/merged " /proc/self/mounts
    [ -d "$T/containers/$ID/upper" ]
    assert_others_untouched
}

# real_container [N]: a copy of stage N (default: the last stage, 05 or later) runs
# `sleep 300` under the state root $T. Sets RUNT_PID, CHILD_PID (the container's PID 1)
# and REAL_ID.
real_container() {
    local bin="" b n
    for b in "$REPO_ROOT"/[0-9][0-9]-*/runt; do
        n=$(basename "$(dirname "$b")")
        [ -x "$b" ] || continue
        if [ -n "${1:-}" ]; then
            [ "$((10#${n:0:2}))" -eq "$1" ] && bin=$b
        elif [ "$((10#${n:0:2}))" -ge 5 ]; then
            bin=$b
        fi
    done
    [ -n "$bin" ] || skip "no stage ${1:-05 or later} is built (run make)"
    [ -x "$REPO_ROOT/images/busybox/bin/busybox" ] || skip "no images/busybox (run make image)"
    # A copy, so that it is not taken for the binary under test by suites running meanwhile.
    n=$(basename "$(dirname "$bin")")
    mkdir -p "$T/bin/$n"
    cp "$bin" "$T/bin/$n/runt"
    RUNT_ROOT="$T" "$T/bin/$n/runt" run "$REPO_ROOT/images/busybox" sleep 300 3>&- &
    RUNT_PID=$!
    PIDS+=("$RUNT_PID")
    CHILD_PID="" REAL_ID=""
    for _ in $(seq 200); do
        REAL_ID=$(ls "$T/containers" 2>/dev/null)
        CHILD_PID=$(cat "/proc/$RUNT_PID/task/$RUNT_PID/children" 2>/dev/null | awk '{print $1}')
        if [ -n "$REAL_ID" ] && [ -n "$CHILD_PID" ] && [ "$(readlink "/proc/$CHILD_PID/exe")" != "$(readlink "/proc/$RUNT_PID/exe")" ]; then
            break
        fi
        sleep 0.05
    done
    [ -n "$CHILD_PID" ] && [ -n "$REAL_ID" ]
    PIDS+=("$CHILD_PID")
    IDS+=("$REAL_ID")
}

# No cgroup named $REAL_ID is left on any hierarchy.
no_cgroup_named() {
    local m
    while read -r m; do
        [ ! -e "$m/runt/$1" ] || { echo "left: $m/runt/$1" >&2; return 1; }
    done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)
}

@test "cleanup --root: a real container whose runt was killed (SIGKILL skips runt's cleanup)" {
    real_container
    kill -KILL "$RUNT_PID"
    wait_gone "$RUNT_PID"
    # The container dies with its runt (PR_SET_PDEATHSIG); its state and cgroups stay.
    wait_gone "$CHILD_PID"
    [ -d "$T/containers/$REAL_ID" ]
    ! no_cgroup_named "$REAL_ID" 2>/dev/null
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"rmdir "*"/runt/$REAL_ID"* ]]
    [ ! -e "$T/containers/$REAL_ID" ]
    no_cgroup_named "$REAL_ID"
}

# outlived_container: what a broken exercise without PR_SET_PDEATHSIG leaves when its
# runt is killed: a process whose root is the overlay of container $ID, in a mount
# namespace of its own, with no runt and no cgroup. Sets CHILD_PID.
outlived_container() {
    local dir="$T/containers/$ID"
    [ -x "$REPO_ROOT/images/busybox/bin/busybox" ] || skip "no images/busybox (run make image)"
    mkdir -p "$dir"/{upper,work,merged}
    unshare -m --propagation private sh -c '
        mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged" &&
        exec chroot "$2/merged" /bin/sleep 300' _ "$REPO_ROOT/images/busybox" "$dir" 3>&- &
    CHILD_PID=$!
    PIDS+=("$CHILD_PID")
    for _ in $(seq 100); do
        grep -q "upperdir=$dir/upper" "/proc/$CHILD_PID/mountinfo" 2>/dev/null &&
            [ "$(cat "/proc/$CHILD_PID/comm")" = sleep ] && break
        sleep 0.05
    done
    [ "$(cat "/proc/$CHILD_PID/comm")" = sleep ]
}

@test "cleanup --root: a container that outlived its runt, with no cgroup: found by its root" {
    outlived_container
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"kill -KILL $CHILD_PID   # root is the overlay of container $ID: sleep"* ]]
    wait_gone "$CHILD_PID"
    [ ! -e "$T/containers/$ID" ]
}

@test "cleanup --root: a real container whose runt is stopped, as after Ctrl-Z" {
    real_container
    kill -STOP "$RUNT_PID"
    [ "$(state_of "$RUNT_PID")" = T ]
    run bash "$CLEANUP" --root "$T"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"kill -KILL $RUNT_PID "*"# runt: "* ]]
    # The container goes with its runt (PR_SET_PDEATHSIG), or by cleanup's own kill
    # if cleanup found it first.
    wait_gone "$RUNT_PID"
    wait_gone "$CHILD_PID"
    [ ! -e "$T/containers/$REAL_ID" ]
    no_cgroup_named "$REAL_ID"
}

@test "cleanup --root: never kills itself or its caller; says what is left and exits 1" {
    fabricate
    # As if an exercise had put the shell that runs cleanup into the container's cgroup.
    run bash -c 'echo $$ >"$1/cgroup.procs" && exec bash "$2" --root "$3"' _ "$CG/runt/$ID" "$CLEANUP" "$T"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ $output == *"cleanup: note: not killing "*"it runs this cleanup"* ]]
    [[ $output == *"cleanup: still there: cgroup $CG/runt/$ID"* ]]
    [ "${lines[-1]}" = "cleanup: 7 actions; 1 left over (listed above)" ]
    wait_gone "$C1"
    [ ! -e "$T/containers/$ID" ]
    assert_others_untouched
}

@test "cleanup: bad arguments give a usage line and exit 2" {
    run bash "$CLEANUP" --bogus
    [ "$status" -eq 2 ]
    [[ $output == usage:* ]]
    run bash "$CLEANUP" --root
    [ "$status" -eq 2 ]
    [ "$output" = "cleanup: --root needs a directory" ]
}
