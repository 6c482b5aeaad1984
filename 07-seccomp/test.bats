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
    skip_from 99 "final's allowlist opens a call to the capability Docker ties it to (final/seccomp.bats)"
    prog=$(test_prog probe)
    # The probe's arguments are harmless and invalid: without a filter the kernel itself
    # answers with an ordinary error. Run it on the host first, in throwaway namespaces.
    run unshare -m -u -i -n --propagation private "$TESTBIN/probe"
    [ "$status" -eq 0 ]
    host=$output
    # personality has no failing form: on the host it succeeds (and is undone at once).
    ! grep -E '^deny .* (EPERM|OK)$' <<<"$host" | grep -vx 'deny personality OK'
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
    # final follows Docker: CAP_SYS_ADMIN opens unshare (final/seccomp.bats tests that).
    stage_at_least 99 && return 0
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

@test "07: the new mount API is refused like mount(2), even with --cap-add SYS_ADMIN" {
    skip_from 99 "final opens the mount family to CAP_SYS_ADMIN, as Docker does (final/seccomp.bats)"
    prog=$(test_prog probe)
    calls="open_tree move_mount mount_setattr fsopen fsconfig fsmount fspick open_tree_attr"
    # shellcheck disable=SC2086
    run runt_run --cap-add SYS_ADMIN -- "$prog" $calls
    echo "$output"
    [ "$status" -eq 0 ]
    for call in $calls; do grep -qx "deny $call EPERM" <<<"$output"; done
}

@test "07: another process's descriptors and memory are out of reach: pidfd_getfd, kcmp, process_madvise" {
    prog=$(test_prog fdsteal)
    echo container-secret >"$(test_rootfs)/secret"
    chmod 600 "$(test_rootfs)/secret"
    # The program works: on the host it takes its child's descriptor and reads the file.
    run "$TESTBIN/fdsteal" "$(test_rootfs)/secret"
    [ "$status" -eq 0 ]
    [ "$output" = "stole: container-secret" ]
    run runt_run -- "$prog" /secret
    [ "$status" -eq 1 ]
    [ "$output" = "pidfd_getfd: Operation not permitted" ]
    # The probes' arguments fail the kernel's own checks (EINVAL, ESRCH) before any
    # capability check: EPERM can only be the filter's.
    run runt_run -- "$(test_prog probe)" pidfd_getfd kcmp process_madvise
    [ "$output" = "$(printf 'deny pidfd_getfd EPERM\ndeny kcmp EPERM\ndeny process_madvise EPERM')" ]
}

@test "07: AF_VSOCK sockets and ASLR-weakening personality flags are refused; the harmless ones work" {
    skip_from 99 "final's allowlist answers ENOSYS for the personality values it does not list (final/seccomp.bats)"
    # socket_vsock_hi32 sets a bit in the upper half of the family, which the kernel ignores.
    run runt_run --cap-add ALL -- "$(test_prog probe)" socket_vsock socket_vsock_hi32 personality socket_inet personality_linux32
    [ "$output" = "$(printf 'deny socket_vsock EPERM\ndeny socket_vsock_hi32 EPERM\ndeny personality EPERM\nallow socket_inet OK\nallow personality_linux32 OK')" ]
    # linux32 (PER_LINUX32), the harmless flag, still works.
    run runt_run -- sh -c 'linux32 uname -m'
    [ "$status" -eq 0 ]
    [[ "$output" == i?86 ]]
}

@test "07: the NUMA policy calls are refused together, reads and writes alike" {
    skip_from 99 "final opens the NUMA calls to CAP_SYS_NICE, as Docker does (final/seccomp.bats)"
    run runt_run --cap-add ALL -- "$(test_prog probe)" mbind migrate_pages move_pages set_mempolicy get_mempolicy set_mempolicy_home_node
    echo "$output"
    [ "$(grep -c ' EPERM$' <<<"$output")" -eq 6 ]
}
