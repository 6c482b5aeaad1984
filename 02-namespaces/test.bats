#!/usr/bin/env bats
# Stage 02: the child lives in new UTS, PID, mount, IPC and network namespaces.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

@test "02: the hostname inside is the container id; the host's is unchanged" {
    local before
    before=$(hostname)
    run runt_run -v -- hostname
    [ "$status" -eq 0 ]
    id=$(sed -n 's/^=> container \([0-9a-f]*\)$/\1/p' <<<"$output")
    [[ "$id" =~ ^[0-9a-f]{12}$ ]]
    [ "${lines[-1]}" = "$id" ] || [[ "$output" == *$'\n'"$id"$'\n'* ]]
    [ "$(hostname)" = "$before" ]
}

@test "02: every run gets a new id" {
    a=$(runt_run -- hostname)
    b=$(runt_run -- hostname)
    [[ "$a" =~ ^[0-9a-f]{12}$ ]]
    [ "$a" != "$b" ]
}

@test "02: --hostname overrides the id; bad values are rejected" {
    run runt_run --hostname web-1 -- hostname
    [ "$status" -eq 0 ]
    [ "$output" = "web-1" ]
    run runt_run --hostname "$(printf 'x%.0s' $(seq 65))" -- hostname
    [ "$status" -eq 125 ]
    [[ "$output" == "runt: --hostname: "*"must be 1 to 64 characters" ]]
    run "$RUNT" run --hostname
    [ "$status" -eq 125 ]
    [ "$output" = "runt: option '--hostname' needs a value (try: runt --help)" ]
}

@test "02: the command is PID 1 and ps lists only the container's processes" {
    run runt_run -- sh -c 'echo "pid $$"; ps -o pid= -o comm= 2>/dev/null || ps'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "pid 1" ]
    # Only sh (PID 1) and ps itself: nothing of the host.
    run runt_run -- sh -c 'ls -d /proc/[0-9]* | wc -l'
    [ "$output" -le 3 ]
}

@test "02: /proc/self/ns/{uts,pid,mnt,ipc,net} differ from the host's" {
    for ns in uts pid mnt ipc net; do
        host=$(readlink "/proc/self/ns/$ns")
        inside=$(runt_run -- readlink "/proc/self/ns/$ns")
        [[ "$inside" == "$ns:["*"]" ]]
        [ "$inside" != "$host" ]
    done
}

@test "02: only lo exists, and it is UP" {
    run runt_run -- sh -c 'ip -o link show'
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "1: lo: <LOOPBACK,UP,LOWER_UP>"* ]]
    # /proc/net/dev is per network namespace: only lo.
    run runt_run -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    [ "$output" = "lo" ]
}

@test "02: a tmpfs mounted inside is invisible on the host and gone after exit" {
    skip_from 6 "mounting needs CAP_SYS_ADMIN, which the container no longer has"
    if stage_at_least 3; then dir=/tmp; hostdir="$(test_rootfs)/tmp"; else dir="$SCRATCH/mnt"; hostdir=$dir; fi
    mkdir -p "$hostdir"
    start_container -- sh -c "mount -t tmpfs runt-test-tmpfs $dir && echo ready && grep runt-test-tmpfs /proc/self/mountinfo && sleep 100"
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    grep -q runt-test-tmpfs "$SCRATCH/bg.out"
    ! grep -q runt-test-tmpfs /proc/self/mountinfo
    ! grep -q " $hostdir " /proc/self/mountinfo
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    ! grep -q runt-test-tmpfs /proc/self/mountinfo
}

@test "02: a SysV IPC object made inside is invisible outside" {
    prog=$(test_prog sysv-shm)
    key=0x52554e54
    run runt_run -- sh -c "$prog $key && cat /proc/sysvipc/shm"
    [ "$status" -eq 0 ]
    [[ "$output" == *"key=0x52554e54"* ]]
    grep -qw "$((key))" <<<"$output"
    ! grep -qw "$((key))" /proc/sysvipc/shm
}

@test "02: the host's /proc still works after the container exits" {
    run runt_run -- sh -c 'ls /proc >/dev/null'
    [ "$status" -eq 0 ]
    grep -q '^Name:' /proc/self/status
    [ -e "/proc/$$/cmdline" ]
    [ "$(ls -d /proc/[0-9]* | wc -l)" -gt 3 ]
    run ps -p $$ -o pid=
    [ "$status" -eq 0 ]
}

@test "02: PID 1 ignores a forwarded SIGTERM it has no handler for; SIGKILL still ends it" {
    start_container -- sh -c 'echo ready; while :; do sleep 0.1; done'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -TERM "$BG_PID"
    sleep 0.5
    kill -0 "$BG_PID"
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    [ "$status" -eq 137 ]
}

@test "02: -v narrates the namespace setup" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> clone ... child pid "*"(PID 1 in its new uts, pid, mnt, ipc, net namespaces)"* ]]
    [[ "$output" == *"=> make / private (MS_REC|MS_PRIVATE)"* ]]
    [[ "$output" == *"=> bring up lo"* ]]
}

@test "02: an empty --hostname is refused by name, and nothing is created" {
    runt_cmd --hostname '' -- true
    refuses_empty "runt: --hostname: '' must be 1 to 64 characters" "${RUNT_CMD[@]:1}"
}

# The pids of every live process in PID namespace NS (a /proc/PID/ns/pid link's text).
# A zombie is dead already: it only waits for its new parent to reap it.
pids_in_pidns() {
    local pid
    find /proc/[0-9]*/ns/pid -maxdepth 0 -printf '%l %h\n' 2>/dev/null |
        awk -v ns="$1" '$1 == ns {split($2, p, "/"); print p[3]}' |
        while read -r pid; do
            [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" = Z ] || echo "$pid"
        done
    return 0
}

@test "02: kill -9 of runt ends its container too: PID 1 and every process of its PID namespace" {
    start_container -- sh -c 'sleep 100 & sleep 100 & echo ready; wait'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    ns=$(readlink "/proc/$pid1/ns/pid")
    [ "$(pids_in_pidns "$ns" | wc -l)" -eq 3 ]
    kill -KILL "$BG_PID"
    # PR_SET_PDEATHSIG: the kernel kills PID 1 as runt dies, and with it the namespace.
    for _ in $(seq 20); do
        [ -z "$(pids_in_pidns "$ns")" ] && break
        sleep 0.05
    done
    left=$(pids_in_pidns "$ns")
    [ -z "$left" ] || { echo "still running after 1 s: $left" >&2; return 1; }
    # What runt could not remove (its state dir from stage 04, its cgroups from 05),
    # make cleanup does.
    run bash "$REPO_ROOT/scripts/cleanup.sh" --root "$RUNT_ROOT"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "02: a runt that dies before its child's prctl: the child sees the pipe hang up, runs nothing" {
    command -v strace >/dev/null || skip "strace is not installed (scripts/setup.sh installs it)"
    # strace holds the child at its PR_SET_PDEATHSIG for 3 s (room for a slow machine), while
    # runt is killed. when=1: only each process's first prctl waits; the child's first is
    # PR_SET_PDEATHSIG, while libcap (stage 06 on) makes its own in runt before main.
    runt_cmd -- sh -c 'echo the command ran'
    # (The trace goes to stderr, which strace does not buffer: each call shows at once.)
    strace -f -e trace=prctl,poll -e inject=prctl:delay_enter=3s:when=1 \
        "${RUNT_CMD[@]}" >"$SCRATCH/bg.out" 2>"$SCRATCH/trace" &
    strace_pid=$!
    echo "$strace_pid" >>"$SCRATCH/.pids"
    wait_for "grep -q 'prctl(PR_SET_PDEATHSIG, SIGKILL' '$SCRATCH/trace'"
    runt_pid=$(child_of "$strace_pid")
    kill -KILL "$runt_pid"
    wait "$strace_pid" || true
    cat "$SCRATCH/trace"
    grep -q 'revents=.*POLLHUP' "$SCRATCH/trace"
    grep -q '+++ exited with 125 +++' "$SCRATCH/trace"
    [ ! -s "$SCRATCH/bg.out" ]
    run bash "$REPO_ROOT/scripts/cleanup.sh" --root "$RUNT_ROOT"
    [ "$status" -eq 0 ]
}
