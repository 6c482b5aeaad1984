#!/usr/bin/env bats
# Stage 05: each container has a cgroup, runt/<id>, with memory, pids and CPU limits,
# on cgroup v2 (unified) and v1 (one hierarchy per controller).
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

unified() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }

# cgroup_dir CONTROLLER ID: where runt/<id> is for that controller.
cgroup_dir() {
    if unified; then echo "/sys/fs/cgroup/runt/$2"; else echo "/sys/fs/cgroup/$1/runt/$2"; fi
}

# The id of the background container, from its -v narration.
bg_id() {
    wait_for "grep -q '^=> container ' '$SCRATCH/bg.err'"
    sed -n 's/^=> container //p' "$SCRATCH/bg.err"
}

@test "05: -v names the cgroup mode this machine has" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    if unified; then
        [[ "$output" == *"=> cgroup mode: unified (v2)"* ]]
    elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        [[ "$output" == *"=> cgroup mode: hybrid (v1 controllers)"* ]]
    else
        [[ "$output" == *"=> cgroup mode: legacy (v1)"* ]]
    fi
}

@test "05: a memory hog is OOM-killed at its limit: exit 137 and a report" {
    prog=$(test_prog memhog)
    run runt_run --memory 16M -- "$prog" 64
    [ "$status" -eq 137 ]
    [[ "$output" == *"runt: container "*": the OOM killer ended "*" process(es) (--memory 16777216)"* ]]
    [[ "$output" != *"done 64 MiB"* ]]
}

@test "05: the same hog runs to the end without a limit" {
    prog=$(test_prog memhog)
    run runt_run -- "$prog" 64
    [ "$status" -eq 0 ]
    [[ "$output" == *"done 64 MiB"* ]]
}

@test "05: a fork bomb under --pids 20 never has more than 20 tasks; the host is unaffected" {
    prog=$(test_prog forkbomb)
    run runt_run --pids 20 -- "$prog" 1000
    [ "$status" -eq 0 ]
    forked=$(sed -n 's/^forked //p' <<<"$output")
    [ "$((forked + 1))" -le 20 ]
    [ "$forked" -ge 10 ]
    [[ "$output" == *"fork failed: Resource temporarily unavailable"* ]]
    # The host still forks.
    run sh -c 'for i in 1 2 3 4 5; do /bin/true & done; wait; echo fine'
    [ "$output" = "fine" ]
}

@test "05: --cpus 0.5 throttles a busy loop: the throttle counters rise, CPU/wall stays well under 1" {
    prog=$(test_prog busyloop)
    start_container -v --cpus 0.5 -- "$prog" 3
    dir=$(cgroup_dir cpu "$(bg_id)")
    wait_for "[ -f '$dir/cpu.stat' ] && [ \$(awk '/^nr_throttled/ {print \$2}' '$dir/cpu.stat') -gt 0 ]"
    wait_container
    [ "$status" -eq 0 ]
    read -r cpu wall < <(sed -n 's/^cpu_ms=\([0-9]*\) wall_ms=\([0-9]*\)$/\1 \2/p' "$SCRATCH/bg.out")
    [ "$wall" -gt 0 ]
    # Expected about 0.5; a loose bound that cannot flake on a busy machine.
    [ $((cpu * 100 / wall)) -lt 80 ]
}

@test "05: the limit files on the host hold the requested values while the container runs" {
    start_container -v --memory 32M --pids 50 --cpus 0.25 -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    if unified; then
        dir=$(cgroup_dir memory "$id")
        [ "$(cat "$dir/memory.max")" = 33554432 ]
        [ "$(cat "$dir/pids.max")" = 50 ]
        [ "$(cat "$dir/cpu.max")" = "25000 100000" ]
        [ ! -f "$dir/memory.swap.max" ] || [ "$(cat "$dir/memory.swap.max")" = 0 ]
        grep -qx "$pid1" "$dir/cgroup.procs"
    else
        [ "$(cat "$(cgroup_dir memory "$id")/memory.limit_in_bytes")" = 33554432 ]
        [ "$(cat "$(cgroup_dir pids "$id")/pids.max")" = 50 ]
        [ "$(cat "$(cgroup_dir cpu "$id")/cpu.cfs_quota_us")" = 25000 ]
        [ "$(cat "$(cgroup_dir cpu "$id")/cpu.cfs_period_us")" = 100000 ]
        for c in memory pids cpu; do grep -qx "$pid1" "$(cgroup_dir $c "$id")/cgroup.procs"; done
    fi
    kill -KILL "$pid1"
    wait_container
}

@test "05: the container is in its cgroup before it runs; inside, /proc/self/cgroup shows /" {
    run runt_run -- cat /proc/self/cgroup
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    # Every hierarchy: the cgroup namespace's root, which is runt/<id>.
    ! grep -v ':/$' <<<"$output"
    # Seen from the host, the same process sits in runt/<id>.
    start_container -v -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    grep -q "/runt/$id\$" "/proc/$(child_of "$BG_PID")/cgroup"
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
}

@test "05: after exit, and after SIGKILL of PID 1, no runt/<id> cgroup remains" {
    run runt_run -v -- true
    id=$(sed -n 's/^=> container //p' <<<"$output")
    [ ! -e "$(cgroup_dir memory "$id")" ]
    [ ! -e "$(cgroup_dir pids "$id")" ]
    [[ "$output" == *"=> remove cgroup $(cgroup_dir memory "$id")"* ]]

    start_container -v --pids 10 -- sh -c 'sleep 100 & sleep 100 & echo ready; wait'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    [ -d "$(cgroup_dir pids "$id")" ]
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    [ "$status" -eq 137 ]
    [ ! -e "$(cgroup_dir pids "$id")" ]
    [ ! -e "$(cgroup_dir memory "$id")" ]
}

@test "05: bad limits are rejected with a clear error, and nothing is created" {
    for bad in "--memory abc" "--memory 0" "--memory -1" "--memory 12Q" "--memory 99999999999999999999" \
        "--memory 9999999999G" "--pids 0" "--pids -5" "--pids abc" "--pids 99999999999999999999" \
        "--cpus 0" "--cpus -1" "--cpus abc" "--cpus 0.001" "--cpus 1e400" "--cpus nan" "--cpus 5000"; do
        # shellcheck disable=SC2086
        run "$RUNT" run $bad "$(test_rootfs)" true
        echo "$bad -> $status: $output"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "runt: ${bad%% *}: "* ]]
    done
    [ ! -e "$RUNT_ROOT" ]
}

@test "05: good limits in every accepted form" {
    for good in "--memory 1073741824" "--memory 64m" "--memory 1G" "--memory 512K" "--pids 1" \
        "--cpus 2" "--cpus .5" "--cpus 0.01"; do
        # shellcheck disable=SC2086
        run runt_run $good -- true
        echo "$good -> $status: $output"
        [ "$status" -eq 0 ]
    done
}

@test "05: -v narrates joining the cgroup before the child goes on" {
    run runt_run -v --pids 30 -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"/cgroup.procs = "*"=> release the child"* ]]
    [[ "$output" == *"=> unshare cgroup namespace"* ]]
}

@test "05: empty limits are refused by name, and nothing is created" {
    refuses_empty "runt: --memory: '' is not a size (try 64M)" run --memory '' "$(test_rootfs)" true
    refuses_empty "runt: --pids: '' is not a positive number" run --pids '' "$(test_rootfs)" true
    refuses_empty "runt: --cpus: '' is not a positive number" run --cpus '' "$(test_rootfs)" true
}
