#!/usr/bin/env bats
# Stage 06: the container keeps only Docker's default capabilities, and kernel
# interfaces under /proc and /sys are masked or read-only.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

DEFAULT_MASK=00000000a80425fb

# cap_line NAME: that line's value from /proc/self/status inside a container.
caps_inside() {
    runt_run "$@" -- cat /proc/self/status | awk '/^Cap/ {print $1 $2}' | tr '\n' ' '
}

@test "06: bounding, permitted and effective are the default 14; inheritable and ambient are empty" {
    run caps_inside
    [ "$output" = "CapInh:0000000000000000 CapPrm:$DEFAULT_MASK CapEff:$DEFAULT_MASK CapBnd:$DEFAULT_MASK CapAmb:0000000000000000 " ]
}

@test "06: --cap-drop and --cap-add change the mask; names with or without CAP_, any case" {
    run caps_inside --cap-drop CHOWN
    [[ "$output" == *"CapEff:00000000a80425fa CapBnd:00000000a80425fa"* ]]
    run caps_inside --cap-add SYS_ADMIN
    [[ "$output" == *"CapEff:00000000a82425fb CapBnd:00000000a82425fb"* ]]
    run caps_inside --cap-add cap_sys_admin --cap-drop cap_chown
    [[ "$output" == *"CapEff:00000000a82425fa"* ]]
    run caps_inside --cap-drop ALL
    [ "$output" = "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " ]
    run caps_inside --cap-drop ALL --cap-add NET_BIND_SERVICE
    [[ "$output" == *"CapEff:0000000000000400 CapBnd:0000000000000400"* ]]
    # ALL means all that runt itself holds.
    host_bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
    run caps_inside --cap-add ALL
    [[ "$output" == *"CapEff:$host_bnd CapBnd:$host_bnd"* ]]
}

@test "06: unknown capability names are a clear error, and nothing is created" {
    for bad in "--cap-add FOO" "--cap-drop CAP_" "--cap-add 12" "--cap-add sys-admin"; do
        # shellcheck disable=SC2086
        run "$RUNT" run $bad "$(test_rootfs)" true
        echo "$bad -> $status: $output"
        [ "$status" -eq 125 ]
        [ "$output" = "runt: ${bad%% *}: unknown capability '${bad#* }' (see capabilities(7))" ]
    done
    [ ! -e "$RUNT_ROOT" ]
}

@test "06: mount, sethostname and adding a link fail with EPERM; chown still works" {
    run runt_run -- mount -t tmpfs none /tmp
    [ "$status" -ne 0 ]
    [[ "$output" == *"ermission denied"* ]]
    run runt_run -- hostname other-name
    [ "$status" -ne 0 ]
    [[ "$output" == *"Operation not permitted"* ]]
    run runt_run -- ip link add runt0 type dummy
    [ "$status" -ne 0 ]
    [[ "$output" == *"Operation not permitted"* ]]
    run runt_run -- sh -c 'touch /tmp/f && chown 1000:1000 /tmp/f && stat -c "%u %g" /tmp/f'
    [ "$status" -eq 0 ]
    [ "$output" = "1000 1000" ]
}

@test "06: with --cap-add SYS_ADMIN, the same mount works" {
    skip_from 7 "seccomp refuses mount(2) whatever the capabilities"
    run runt_run --cap-add SYS_ADMIN -- mount -t tmpfs none /tmp
    [ "$status" -eq 0 ]
}

@test "06: masked files read as empty, masked directories are empty" {
    checked=0
    for p in /proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats \
        /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware; do
        [ -e "$p" ] || continue
        if [ -d "$p" ]; then
            run runt_run -- sh -c "ls -A $p | wc -l; touch $p/x"
            [ "${lines[0]}" = 0 ]
            [[ "$output" == *"Read-only file system"* ]]
        else
            run runt_run -- sh -c "wc -c <$p"
            [ "$output" = 0 ]
        fi
        checked=$((checked + 1))
    done
    # On the host, those files do have content.
    [ "$(wc -c </proc/interrupts)" -gt 0 ]
    [ "$checked" -ge 3 ]
}

@test "06: /proc/sys and /proc/sysrq-trigger are read-only, still readable" {
    # Safety: only ever write a /proc/sys file's current value, and only 'h' (help) to sysrq.
    value=$(cat /proc/sys/vm/overcommit_memory)
    run runt_run -- sh -c "cat /proc/sys/kernel/ostype; echo $value >/proc/sys/vm/overcommit_memory"
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = "Linux" ]
    [[ "$output" == *"Read-only file system"* ]]
    if [ -e /proc/sysrq-trigger ]; then
        run runt_run -- sh -c 'echo h >/proc/sysrq-trigger'
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
    fi
    run runt_run -- sh -c 'grep -E " /proc/(sys|bus|fs|irq) " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1'
    [[ "$output" == *"/proc/sys ro"* ]]
    [[ "$output" != *" rw"* ]]
}

@test "06: a device node made inside cannot be opened, and /dev takes no new ones" {
    # CAP_MKNOD is kept, so mknod works; 1:5 is /dev/zero's number, harmless if opened.
    run runt_run -- sh -c 'mknod /tmp/zero c 1 5 && head -c 1 /tmp/zero'
    [ "$status" -ne 0 ]
    [[ "$output" == *"/tmp/zero: Permission denied"* ]]
    run runt_run -- mknod /dev/zero2 c 1 5
    [ "$status" -ne 0 ]
    [[ "$output" == *"Read-only file system"* ]]
    # The nodes runt made still work, and / is still writable.
    run runt_run -- sh -c 'echo x >/dev/null && head -c 2 /dev/zero | wc -c && touch /new && echo ok'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 2 ]
    [ "${lines[1]}" = ok ]
    run runt_run -- sh -c 'grep -E "^[^ ]+ / " /proc/mounts; grep -E "^[^ ]+ /dev " /proc/mounts'
    [[ "${lines[0]}" == *" rw,nodev,"* ]]
    [[ "${lines[1]}" == *" ro,nosuid,noexec,"* ]]
}

@test "06: -v narrates the masks and the capability set" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> mask /proc/kcore, /proc/keys, /sys/firmware ...; /proc/sys, /proc/sysrq-trigger ... read-only"* ]]
    [[ "$output" == *"=> remount / nodev and /dev read-only"* ]]
    [[ "$output" == *"=> capabilities: bounding, permitted, effective = 0x$DEFAULT_MASK"* ]]
}

@test "06: a user namespace still gives the container's root a full set of capabilities" {
    skip_from 7 "seccomp forbids unshare(CLONE_NEWUSER); stage 07 tests that"
    # Ubuntu 24.04's AppArmor confines user namespaces made without CAP_SYS_ADMIN.
    if [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then
        skip "kernel.apparmor_restrict_unprivileged_userns=1 confines new user namespaces here"
    fi
    # The hole stage 07 closes: unprivileged user namespaces hand out every capability
    # (in the new namespace) and a wide kernel attack surface.
    full=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
    run runt_run -- unshare -U -r sh -c 'grep CapEff /proc/self/status; id -u'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "CapEff:	$full" ]
    [ "${lines[1]}" = 0 ]
}

@test "06: an empty capability name is refused, and nothing is created" {
    refuses_empty "runt: --cap-add: unknown capability '' (see capabilities(7))" run --cap-add '' "$(test_rootfs)" true
    refuses_empty "runt: --cap-drop: unknown capability '' (see capabilities(7))" run --cap-drop '' "$(test_rootfs)" true
}
