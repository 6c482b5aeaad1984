#!/usr/bin/env bats
# Stage 07: a seccomp filter, installed last before exec, refuses a denylist of syscalls.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

@test "07: Seccomp is 2 (filter) and NoNewPrivs is 1 inside" {
    run runt_run -- grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'NoNewPrivs:\t1\nSeccomp:\t2')" ]
    # ...and not on the host: the filter is the container's alone.
    grep -q $'^Seccomp:\t0' /proc/self/status
}

@test "07: every denied syscall gets the filter's EPERM (clone3: ENOSYS), even with every capability" {
    prog=$(test_prog probe)
    # The probe's arguments are harmless and invalid: without a filter the kernel itself
    # answers with an ordinary error. Run it on the host first, in throwaway namespaces.
    run unshare -m -u -i -n --propagation private "$TESTBIN/probe"
    [ "$status" -eq 0 ]
    host=$output
    ! grep -E '^deny .* (EPERM|OK)$' <<<"$host"
    # In the container, with --cap-add ALL so that no capability check can answer EPERM:
    run runt_run --cap-add ALL -- "$prog"
    [ "$status" -eq 0 ]
    echo "$output"
    [ "$(grep -c '^deny ' <<<"$output")" -ge 38 ]
    ! grep '^deny ' <<<"$output" | grep -v '^deny clone3 ' | grep -v ' EPERM$'
    grep -qx 'deny clone3 ENOSYS' <<<"$output"
    # Allowed calls answer exactly as they do on the host.
    [ "$(grep '^allow ' <<<"$output")" = "$(grep '^allow ' <<<"$host")" ]
    grep -qx 'allow fork OK' <<<"$output"
    grep -qx 'allow read EBADF' <<<"$output"
}

@test "07: unshare -U, which stage 06 allowed, now fails with EPERM" {
    run runt_run -- unshare -U -r true
    [ "$status" -ne 0 ]
    [[ "$output" == *"Operation not permitted"* ]]
    for flag in -m -n -p -i -u; do
        run runt_run --cap-add ALL -- unshare "$flag" true
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
    done
}

@test "07: ordinary programs still work: a shell, fork, pipes, ls, ps" {
    run runt_run -- sh -c 'ls / | grep -c bin; (echo b; echo a) | sort | tr "\n" " "; sleep 0 & wait; echo; ps -o pid,comm | wc -l; echo done'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 2 ]
    [ "${lines[1]}" = "a b " ]
    [ "${lines[2]}" -ge 3 ]
    [ "${lines[3]}" = done ]
}

@test "07: a syscall through another architecture's ABI kills the process" {
    prog=$(test_prog int80)
    run "$TESTBIN/int80"
    if [ "$status" -ne 0 ]; then skip "this kernel has no i386 ABI to try (int 0x80 gave status $status)"; fi
    run runt_run -- "$prog"
    # SIGSYS: the filter's bad-architecture action, not a pass.
    [ "$status" -eq 159 ]
    [[ "$output" != *"getpid via int 0x80"* ]]
}

@test "07: -v narrates no_new_privs and the filter, after the capabilities" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> capabilities: "*"=> set no_new_privs"*"=> install seccomp filter: "*"=> exec true"* ]]
}
