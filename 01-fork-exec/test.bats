#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Stage 01: runt forks, execs and reports. These hold for every later stage too.

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

@test "01: exit status 0, 3 and 255 propagate" {
    run runt_run -- sh -c 'exit 0'
    [ "$status" -eq 0 ]
    run runt_run -- sh -c 'exit 3'
    [ "$status" -eq 3 ]
    run runt_run -- sh -c 'exit 255'
    [ "$status" -eq 255 ]
}

@test "01: a child killed by SIGKILL gives 137" {
    start_container -- sh -c 'echo ready; while :; do sleep 0.1; done'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    [ "$status" -eq 137 ]
}

@test "01: a child killed by SIGTERM gives 143" {
    skip_from 2 "the command is PID 1 of its namespace, which ignores signals it has no handler for"
    start_container -v -- sh -c 'echo ready; while :; do sleep 0.1; done'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -TERM "$(child_of "$BG_PID")"
    wait_container
    [ "$status" -eq 143 ]
    grep -q "=> child killed by signal 15" "$SCRATCH/bg.err"
}

@test "01: stdin, stdout and stderr pass through" {
    echo from-stdin | runt_run -- sh -c 'cat; echo to-stderr >&2' >"$SCRATCH/out" 2>"$SCRATCH/err"
    [ "$(cat "$SCRATCH/out")" = "from-stdin" ]
    [ "$(cat "$SCRATCH/err")" = "to-stderr" ]
}

@test "01: arguments with spaces and quotes arrive intact" {
    run runt_run -- printf '[%s]\n' 'two words' "it's" 'say "hi"' ''
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "[two words]" ]
    [ "${lines[1]}" = "[it's]" ]
    [ "${lines[2]}" = '[say "hi"]' ]
    [ "${lines[3]}" = "[]" ]
}

@test "01: options after the command belong to the command" {
    run runt_run -- echo -v
    [ "$status" -eq 0 ]
    [ "$output" = "-v" ]
}

@test "01: the environment is inherited" {
    skip_from 99 "final starts from a clean environment (PATH, HOSTNAME, HOME), as docker does"
    RUNT_TEST_VAR='a b=c' run runt_run -- sh -c 'echo "$RUNT_TEST_VAR"'
    [ "$status" -eq 0 ]
    [ "$output" = "a b=c" ]
}

@test "01: an unknown command gives 127 and names it" {
    run -127 runt_run -- no-such-command-xyz
    [ "$status" -eq 127 ]
    [[ "$output" == *"no-such-command-xyz"* ]]
    [ "${#lines[@]}" -eq 1 ]
}

@test "01: a file that is not executable gives 126" {
    if stage_at_least 3; then
        echo 'not a program' >"$(test_rootfs)/notexec"
        chmod 644 "$(test_rootfs)/notexec"
        run runt_run -- /notexec
    else
        echo 'not a program' >"$SCRATCH/notexec"
        chmod 644 "$SCRATCH/notexec"
        run runt_run -- "$SCRATCH/notexec"
    fi
    [ "$status" -eq 126 ]
    [[ "$output" == *"notexec"*"Permission denied"* ]]
}

@test "01: runt with no arguments prints usage and exits 125" {
    run "$RUNT"
    [ "$status" -eq 125 ]
    [[ "$output" == *"usage: runt run"* ]]
    run "$RUNT" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: runt run"* ]]
    run "$RUNT" --version
    [ "$status" -eq 0 ]
    [[ "$output" == "runt "* ]]
}

@test "01: bad usage is one line naming what was wrong, exit 125" {
    run "$RUNT" run --no-such-option true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: unknown option '--no-such-option' (try: runt --help)" ]
    run "$RUNT" frobnicate
    [ "$status" -eq 125 ]
    [ "$output" = "runt: unknown command 'frobnicate' (try: runt --help)" ]
    run "$RUNT" run
    [ "$status" -eq 125 ]
    [[ "$output" == "runt: run: no "* ]]
}

@test "01: a bad letter inside a group of short options is named: -xv says -x" {
    run "$RUNT" run -xv true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: unknown option '-x' (try: runt --help)" ]
    run "$RUNT" run -vx true
    [ "$output" = "runt: unknown option '-x' (try: runt --help)" ]
}

@test "01: -v narrates fork, exec and the exit status" {
    run runt_run -v -- sh -c 'exit 4'
    [ "$status" -eq 4 ]
    [[ "$output" == *"child pid "* ]]
    [[ "$output" == *"=> exec sh"* ]]
    [[ "$output" == *"=> child exited with 4"* ]]
}

@test "01: SIGTERM sent to runt reaches the child" {
    # The child handles TERM (as PID 1 must, from stage 02 on) and says so.
    start_container -- sh -c 'trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -TERM "$BG_PID"
    wait_container
    [ "$status" -eq 42 ]
    grep -q got-TERM "$SCRATCH/bg.out"
}

@test "01: SIGINT and SIGHUP do not kill runt; it forwards them" {
    start_container -- sh -c 'trap "echo got-INT" INT; trap "echo got-HUP; exit 7" HUP; echo ready; while :; do sleep 0.1; done'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    kill -INT "$BG_PID"
    wait_for "grep -q got-INT '$SCRATCH/bg.out'"
    kill -0 "$BG_PID"
    kill -HUP "$BG_PID"
    wait_container
    [ "$status" -eq 7 ]
}

@test "01: no zombie is left behind" {
    run runt_run -- sh -c 'exit 0'
    [ "$status" -eq 0 ]
    # runt reaped its child: no zombie has runt's shell (this test) as an ancestor.
    run bash -c "ps -o stat=,ppid= --ppid $$ | grep '^Z' || true"
    [ -z "$output" ]
}

# fds_test [enosys]: a directory and a file the caller left open as fds 7 and 9 must not
# reach the command. With "enosys", runt runs as on a kernel without close_range(2).
fds_test() {
    local wrap=()
    mkdir "$SCRATCH/hostdir"
    echo host-secret >"$SCRATCH/hostdir/secret"
    [ "${1:-}" = enosys ] && wrap=("$TESTBIN/enosys" 436)
    runt_cmd -v -- sh -c 'ls /proc/$$/fd | tr "\n" " "; cat /proc/self/fd/7/secret /proc/self/fd/9'
    run "${wrap[@]}" "${RUNT_CMD[@]}" 7<"$SCRATCH/hostdir" 9<"$SCRATCH/hostdir/secret"
    echo "$output"
    [[ "$output" == *$'\n'"0 1 2 "* ]]
    [[ "$output" != *host-secret* ]]
    [[ "$output" == *"/proc/self/fd/7/secret"*"No such file or directory"* ]]
}

@test "01: descriptors the caller left open do not reach the command" {
    fds_test
    [[ "$output" == *"=> close_range: every fd above 2 closed"* ]]
}

@test "01: on a kernel without close_range(2), they are closed one by one" {
    fds_test enosys
    [[ "$output" == *"=> close_range: not in this kernel; close each fd above 2 in /proc/self/fd"* ]]
}

@test "01: a command that makes runt its tracer still ends with its own status" {
    prog=$(test_prog traceme)
    # The command asks runt to trace it (PTRACE_TRACEME), then gets SIGUSR1: the
    # stop is reported to runt, which must hand the signal on and keep waiting.
    run runt_run -v -- "$prog" 23
    echo "$output"
    [ "$status" -eq 23 ]
    [[ "$output" == *"usr1: handled"* ]]
    [[ "$output" == *"=> child exited with 23"* ]]
    if stage_at_least 7; then
        [[ "$output" == *"traceme: Operation not permitted"* ]]
    else
        [[ "$output" == *"traceme: traced"* ]]
        [[ "$output" == *"=> child stopped by signal 10 under ptrace: detach and pass it on"* ]]
    fi
}
