#!/usr/bin/env bats
# final's seccomp profile: an allowlist that is never looser than Docker's default profile or
# stage 07's denylist, checked on the filters themselves (tests/bin/seccomp-dump reads them
# out of the kernel), and what programs see under it.
#
# Once final/runt runs containers, the probes run in a container (`runt run [--cap-add ...]`);
# until then, through tests/bin/seccomp-run, which loads the same filter on the host and keeps
# root's capabilities, so that an EPERM can only come from the filter.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() {
    runt_setup
    [ "$(uname -m)" = x86_64 ] || skip "seccomp-dump knows x86_64 system call numbers only"
}
teardown() { runt_teardown; }

# ---- helpers ----

# Does final/runt run containers yet? (Asked once per file; a placeholder answers 125.)
final_runs() {
    local f="$BATS_FILE_TMPDIR/final-runs"
    if [ ! -f "$f" ]; then
        if runt_run -- true >/dev/null 2>&1; then echo yes >"$f"; else echo no >"$f"; fi
    fi
    [ "$(cat "$f")" = yes ]
}

# filtered [--cap-add CAP]... -- CMD [ARG...]: CMD under final's filter, in a container or
# through seccomp-run. CMD names a test program (tests/bin) or a busybox applet.
filtered() {
    local opts=() cmd
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    cmd=$1
    shift
    if final_runs; then
        [ -x "$TESTBIN/$cmd" ] && cmd=$(test_prog "$cmd")
        runt_run "${opts[@]}" -- "$cmd" "$@"
    else
        if [ -x "$TESTBIN/$cmd" ]; then
            cmd=$TESTBIN/$cmd
        else
            set -- "$cmd" "$@"
            cmd=$IMAGE/bin/busybox
        fi
        "$TESTBIN/seccomp-run" "${opts[@]}" "$cmd" "$@"
    fi
}

# wait_for_exec PID COMM: poll until the process has exec'd COMM (its filter is then loaded).
wait_for_exec() {
    wait_for "[ \"\$(cat /proc/$1/comm 2>/dev/null)\" = $2 ]"
}

# The pid of the first descendant of $1 named $2.
descendant_named() {
    local pid child found
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        [ "$(cat /proc/"$child"/comm 2>/dev/null)" = "$2" ] && { echo "$child"; return 0; }
        found=$(descendant_named "$child" "$2") && { echo "$found"; return 0; }
    done
    return 1
}

# final_dump OUT [--cap-add CAP]...: final's filter, as seccomp-dump reads it from a sleeping
# process under it (in a container, or under seccomp-run).
final_dump() {
    local out=$1 pid
    shift
    if ! final_runs; then
        harness_dump "$out" "$@"
        return
    fi
    start_container "$@" -- sleep 1000
    wait_for "descendant_named $BG_PID sleep >/dev/null"
    pid=$(descendant_named "$BG_PID" sleep)
    "$TESTBIN/seccomp-dump" "$pid" >"$out"
    kill -KILL "$pid"
    wait_container
}

# harness_dump OUT [--cap-add CAP]...: the filter that seccomp-run loads, which libseccomp
# compiles as it starts (seccomp-run is built without final's precompiled filter).
harness_dump() {
    local out=$1 pid
    shift
    "$TESTBIN/seccomp-run" "$@" sleep 1000 &
    pid=$!
    echo "$pid" >>"$SCRATCH/.pids"
    wait_for_exec "$pid" sleep
    "$TESTBIN/seccomp-dump" "$pid" >"$out"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
}

# docker_dump OUT [PODMAN-RUN-OPTION...]: the filter of Docker's default profile (podman, runc).
docker_dump() {
    run bash "$REPO_ROOT/tests/docker-seccomp-dump.sh" "$@"
    if [ "$status" = 77 ]; then skip "$output"; fi
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# stage07_dump OUT: stage 07's filter, from a sleeping container of 07-seccomp/runt.
stage07_dump() {
    local runt07="$REPO_ROOT/07-seccomp/runt" pid
    [ -x "$runt07" ] || skip "stage 07 is not built (make 07-seccomp/runt)"
    RUNT=$runt07 start_container -- sleep 1000
    wait_for "descendant_named $BG_PID sleep >/dev/null"
    pid=$(descendant_named "$BG_PID" sleep)
    "$TESTBIN/seccomp-dump" "$pid" >"$1"
    kill -KILL "$pid"
    wait_container
}

# compare REF DUMP: each case where DUMP answers less strictly than REF (allowed < refused with
# an errno < killed), then "same N, stricter N, looser N". Both come from the same seccomp-dump,
# so they list the same cases in the same order.
compare() {
    awk 'function rank(v) { return v == "ALLOW" || v == "LOG" ? 0 : v ~ /^KILL/ ? 2 : 1 }
         NR == FNR { if ($1 !~ /^#/) ref[$1] = $2; next }
         /^#/ { next }
         !($1 in ref) { print "missing in the reference: " $1; loose++; next }
         { d = rank($2) - rank(ref[$1]) }
         d < 0 { print "looser: " $1 " " $2 ", reference " ref[$1]; loose++ }
         d > 0 { strict++ }
         d == 0 { same++ }
         END { printf "same %d, stricter %d, looser %d\n", same, strict, loose }' "$1" "$2"
}

# ---- the filter, read from the kernel ----

@test "seccomp: two filters (the allowlist, its argument exceptions) and no_new_privs" {
    run filtered -- grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t2')" ]
}

@test "seccomp: the default filter, compiled at build time, is the program libseccomp makes at start" {
    final_runs || skip "final/runt does not run containers yet"
    # The programs themselves: their lengths and a hash of every instruction.
    final_dump "$SCRATCH/runt.dump"
    harness_dump "$SCRATCH/harness.dump"
    diff <(grep '^# filter' "$SCRATCH/harness.dump") <(grep '^# filter' "$SCRATCH/runt.dump")
    [ "$(grep -c '^# filter' "$SCRATCH/runt.dump")" -eq 2 ]
    run runt_run -v -- true
    [[ "$output" == *"=> seccomp filter compiled at build time: "* ]]
    # Another capability set is compiled as the container starts, and is libseccomp's too.
    final_dump "$SCRATCH/runt-ptrace.dump" --cap-add SYS_PTRACE
    harness_dump "$SCRATCH/harness-ptrace.dump" --cap-add SYS_PTRACE
    diff <(grep '^# filter' "$SCRATCH/harness-ptrace.dump") <(grep '^# filter' "$SCRATCH/runt-ptrace.dump")
    ! diff -q "$SCRATCH/runt.dump" "$SCRATCH/runt-ptrace.dump" >/dev/null
    run runt_run -v --cap-add SYS_PTRACE -- true
    [[ "$output" == *"=> install seccomp filter: "* ]]
    [[ "$output" != *"compiled at build time"* ]]
}

@test "seccomp: seccomp-dump answers what the kernel answers" {
    final_dump "$SCRATCH/final.txt"
    # No filter at all: everything is allowed.
    sleep 1000 &
    echo $! >>"$SCRATCH/.pids"
    run "$TESTBIN/seccomp-dump" $!
    [ "$status" -eq 0 ]
    [ "$(grep -c ' ALLOW$' <<<"$output")" -eq "$(wc -l <<<"$output")" ]
    [ "$(wc -l <<<"$output")" -gt 470 ]
    # Each probe's answer under the filter against the dump's verdict for the same call.
    run "$TESTBIN/seccomp-run" "$TESTBIN/probe" ioctl_tiocsti clone clone3 unshare_none \
        socket_vsock socket_vsock_hi32 personality listmount read getppid
    [ "$status" -eq 0 ]
    while read -r probe dumped; do
        expected=$(grep "^$dumped " "$SCRATCH/final.txt" | cut -d' ' -f2)
        got=$(grep " $probe " <<<"$output" | cut -d' ' -f3)
        echo "$probe: kernel $got, dump $dumped $expected"
        case "$expected" in
        "ERRNO(EPERM)") [ "$got" = EPERM ] ;;
        "ERRNO(ENOSYS)") [ "$got" = ENOSYS ] ;;
        ALLOW) [[ "$got" != EPERM && "$got" != ENOSYS ]] ;;
        *) false ;;
        esac
    done <<'EOF'
ioctl_tiocsti ioctl(TIOCSTI)
clone clone(CLONE_NEWUSER)
clone3 435:clone3
unshare_none unshare(0)
socket_vsock socket(AF_VSOCK)
socket_vsock_hi32 socket(hi32|AF_VSOCK)
personality personality(ADDR_NO_RANDOMIZE)
listmount 458:listmount
read 0:read
getppid 110:getppid
EOF
}

@test "seccomp: never looser than Docker's default profile (podman, runc), case by case" {
    docker_dump "$SCRATCH/docker.txt"
    final_dump "$SCRATCH/final.txt"
    run compare "$SCRATCH/docker.txt" "$SCRATCH/final.txt"
    echo "$output"
    echo "# final against Docker's default: ${lines[-1]}" >&3
    [[ "${lines[-1]}" == *", looser 0" ]]
    [ "$(grep -c '^[0-9]*:' "$SCRATCH/final.txt")" -eq 470 ]
}

@test "seccomp: never looser than Docker's with --cap-add SYS_ADMIN, SYS_PTRACE or ALL" {
    for cap in SYS_ADMIN SYS_PTRACE ALL; do
        docker_dump "$SCRATCH/docker-$cap.txt" --cap-add "$cap"
        final_dump "$SCRATCH/final-$cap.txt" --cap-add "$cap"
        run compare "$SCRATCH/docker-$cap.txt" "$SCRATCH/final-$cap.txt"
        echo "--cap-add $cap: $output"
        [[ "${lines[-1]}" == *", looser 0" ]]
    done
    # What the capabilities open: the mount family with SYS_ADMIN, ptrace with SYS_PTRACE.
    grep -qx '165:mount ALLOW' "$SCRATCH/final-SYS_ADMIN.txt"
    grep -qx '442:mount_setattr ALLOW' "$SCRATCH/final-SYS_ADMIN.txt"
    grep -qx '101:ptrace ALLOW' "$SCRATCH/final-SYS_PTRACE.txt"
    grep -qx '438:pidfd_getfd ALLOW' "$SCRATCH/final-SYS_PTRACE.txt"
    # ...and what no capability opens.
    grep -qx '155:pivot_root ERRNO(EPERM)' "$SCRATCH/final-ALL.txt"
    grep -qx '425:io_uring_setup ERRNO(EPERM)' "$SCRATCH/final-ALL.txt"
    grep -qx 'ioctl(TIOCSTI) ERRNO(EPERM)' "$SCRATCH/final-ALL.txt"
}

@test "seccomp: as strict as stage 07 wherever stage 07 is stricter" {
    stage07_dump "$SCRATCH/07.txt"
    final_dump "$SCRATCH/final.txt"
    # Stage 07 refuses the personality query only because a denylist rule compares an
    # argument once and cannot carve it out of the refused bits; it changes nothing.
    sed -i '/^personality(0xffffffff) /d' "$SCRATCH/07.txt" "$SCRATCH/final.txt"
    run compare "$SCRATCH/07.txt" "$SCRATCH/final.txt"
    echo "$output"
    echo "# final against stage 07: ${lines[-1]}" >&3
    [[ "${lines[-1]}" == *", looser 0" ]]
    # The calls Docker allows and stage 07 refuses:
    for c in 101:ptrace 310:process_vm_readv 311:process_vm_writev 159:adjtimex \
        305:clock_adjtime 'ioctl(TIOCSTI)'; do
        grep -qx "$c ERRNO(EPERM)" "$SCRATCH/07.txt"
        grep -qx "$c ERRNO(EPERM)" "$SCRATCH/final.txt"
    done
}

# ---- what programs see ----

@test "seccomp: refused calls answer EPERM (clone3 ENOSYS), and the rest works as on the host" {
    run "$TESTBIN/probe"
    [ "$status" -eq 0 ]
    host=$output
    run filtered -- probe
    [ "$status" -eq 0 ]
    echo "$output"
    [ "$(grep -c '^deny ' <<<"$output")" -ge 39 ]
    ! grep '^deny ' <<<"$output" | grep -v '^deny clone3 ' | grep -v ' EPERM$'
    grep -qx 'deny clone3 ENOSYS' <<<"$output"
    # unshare(0) too: without CAP_SYS_ADMIN, unshare is refused whatever its flags, as by Docker.
    grep -qx 'allow unshare_none EPERM' <<<"$output"
    [ "$(grep '^allow ' <<<"$output" | grep -v unshare_none)" = \
        "$(grep '^allow ' <<<"$host" | grep -v unshare_none)" ]
}

@test "seccomp: what stage 07 lets through is refused: kcmp, pidfd_getfd, new mount API..." {
    names=(kcmp pidfd_getfd process_madvise fsopen fsconfig fsmount fspick move_mount open_tree
        mount_setattr get_mempolicy set_mempolicy_home_node ioctl_tioclinux)
    # Without a filter the kernel answers with its own errors (the arguments are invalid).
    run unshare -m --propagation private "$TESTBIN/probe" "${names[@]}"
    [ "$status" -eq 0 ]
    ! grep -E ' (EPERM|OK)$' <<<"$output"
    run filtered -- probe "${names[@]}"
    [ "$status" -eq 0 ]
    echo "$output"
    [ "$(grep -c ' EPERM$' <<<"$output")" -eq "${#names[@]}" ]
}

@test "seccomp: a syscall newer than the list (listmount) answers ENOSYS" {
    run "$TESTBIN/probe" listmount
    [ "$output" != "deny listmount ENOSYS" ] || skip "this kernel has no listmount (Linux 6.8)"
    run filtered -- probe listmount
    [ "$status" -eq 0 ]
    [ "$output" = "deny listmount ENOSYS" ]
}

@test "seccomp: AF_VSOCK and AF_ALG sockets are refused, also with the register's upper half set" {
    run filtered -- probe socket_vsock socket_vsock_hi32 socket_alg socket_unix
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' 'deny socket_vsock EPERM' 'deny socket_vsock_hi32 EPERM' \
        'deny socket_alg EPERM' 'allow socket_unix OK')" ]
}

@test "seccomp: personality(ADDR_NO_RANDOMIZE) is refused; the query still works" {
    run "$TESTBIN/probe" personality
    [ "$output" = "deny personality OK" ]
    run filtered -- probe personality personality_query
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' 'deny personality ENOSYS' 'allow personality_query OK')" ]
}

@test "seccomp: no new namespace: unshare -U and clone(CLONE_NEWUSER) fail with EPERM" {
    run filtered -- unshare -U -r true
    [ "$status" -ne 0 ]
    [[ "$output" == *"Operation not permitted"* ]]
    run filtered -- probe clone
    [ "$output" = "deny clone EPERM" ]
}

@test "seccomp: ordinary programs still work: a shell, fork, pipes, ps, sort" {
    run filtered -- sh -c 'echo hello | tr a-z A-Z; (echo b; echo a) | sort | tr "\n" " "; echo
        sleep 0 & wait; ps -o pid,comm | wc -l; echo done'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = HELLO ]
    [ "${lines[1]}" = "a b " ]
    [ "${lines[2]}" -ge 2 ]
    [ "${lines[3]}" = done ]
}

@test "seccomp: threads and posix_spawn work: glibc's clone3 gets ENOSYS and falls back to clone" {
    run filtered -- spawn
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' 'thread OK' 'spawn OK')" ]
}

@test "seccomp: SYS_ADMIN opens the mount family, SYS_PTRACE ptrace, SYS_TIME the clocks" {
    run filtered --cap-add SYS_ADMIN -- probe mount fsopen mount_setattr setns
    [ "$status" -eq 0 ]
    ! grep ' EPERM$' <<<"$output"
    run filtered --cap-add SYS_PTRACE -- probe ptrace process_vm_readv kcmp pidfd_getfd
    [ "$status" -eq 0 ]
    ! grep ' EPERM$' <<<"$output"
    run filtered --cap-add SYS_TIME -- probe clock_settime clock_adjtime adjtimex
    [ "$status" -eq 0 ]
    ! grep ' EPERM$' <<<"$output"
    # ...and only its group.
    run filtered --cap-add SYS_PTRACE -- probe mount clock_settime
    [ "$output" = "$(printf '%s\n' 'deny mount EPERM' 'deny clock_settime EPERM')" ]
}

@test "seccomp: a call through the i386 ABI kills the process" {
    run "$TESTBIN/int80"
    if [ "$status" -ne 0 ]; then
        skip "this kernel has no i386 ABI to try (int 0x80 gave status $status)"
    fi
    run filtered -- int80
    [ "$status" -eq 159 ]
    [[ "$output" != *"getpid via int 0x80"* ]]
}

@test "seccomp: seccomp-run and seccomp-dump refuse bad arguments with one line" {
    run "$TESTBIN/seccomp-run" --cap-add NO_SUCH_CAP true
    [ "$status" -eq 125 ]
    [ "$output" = "seccomp-run: unknown capability 'NO_SUCH_CAP'" ]
    run "$TESTBIN/seccomp-dump" 12x
    [ "$status" -eq 2 ]
    [ "$output" = "seccomp-dump: '12x' is not a process id" ]
}
