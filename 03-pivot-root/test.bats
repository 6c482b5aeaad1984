#!/usr/bin/env bats
# Stage 03: the container's / is its own root filesystem, reached with pivot_root(2).
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() {
    # A failing implementation could have changed the host's /dev/null: put it back.
    if [ -n "${devnull_before:-}" ] && [ "$(stat -c '%a %u %g' /dev/null)" != "$devnull_before" ]; then
        chmod 666 /dev/null
        chown 0:0 /dev/null
    fi
    runt_teardown
}

@test "03: / inside is the rootfs; the host's files are out of sight" {
    rootfs=$(test_rootfs)
    echo inside >"$rootfs/marker"
    echo outside >"$SCRATCH/host-marker"
    run runt_run -- sh -c "cat /marker; test -e '$SCRATCH/host-marker' && echo host-visible; cat /etc/os-release"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "inside" ]
    [[ "$output" != *host-visible* ]]
    [[ "$output" == *"ID=runt-busybox"* ]]
}

@test "03: a missing rootfs, a file as rootfs and a missing command are clear errors" {
    run "$RUNT" run "$SCRATCH/nope" sh
    [ "$status" -eq 125 ]
    [ "$output" = "runt: rootfs $SCRATCH/nope: No such file or directory" ]
    touch "$SCRATCH/file"
    run "$RUNT" run "$SCRATCH/file" sh
    [ "$status" -eq 125 ]
    [ "$output" = "runt: rootfs $SCRATCH/file: not a directory" ]
    run -127 "$RUNT" run "$(test_rootfs)" /bin/no-such-command
    [ "$output" = "runt: exec /bin/no-such-command: No such file or directory" ]
    run "$RUNT" run "$(test_rootfs)"
    [ "$status" -eq 125 ]
    [ "$output" = "runt: run: no command given (try: runt --help)" ]
}

@test "03: /proc/mounts inside names no host path, and the old root is gone" {
    rootfs=$(test_rootfs)
    run runt_run -- sh -c 'cat /proc/mounts; echo ---; ls -A /'
    [ "$status" -eq 0 ]
    if stage_at_least 4; then
        # From stage 04 the overlay's options name its layer directories, as docker's
        # do; mount sources and mount points still name nothing of the host.
        [[ "$(awk '{print $1, $2}' <<<"$output")" != *"$SCRATCH"* ]]
    else
        [[ "$output" != *"$SCRATCH"* ]]
    fi
    [[ "$output" != *oldroot* ]]
    # Only the container's own mounts: / and what runt mounted under it.
    # (from stage 06, masked and read-only paths add mounts under /proc and /sys)
    mounts=$(sed -n '/^---$/q;p' <<<"$output" | awk '{print $2}' | grep -v '^/proc/\|^/sys/' | sort | tr '\n' ' ')
    [ "$mounts" = "/ /dev /dev/pts /dev/shm /proc /sys " ]
    ! ls -A "$rootfs" | grep -q oldroot
}

@test "03: the chroot escape reaches the host under chroot(2) but not under runt" {
    prog=$(test_prog escape)
    echo outside >"$SCRATCH/host-marker"
    # Proof that the program works: plain chroot is escapable.
    run chroot "$(test_rootfs)" "$prog" "$SCRATCH/host-marker"
    [ "$status" -eq 0 ]
    [[ "$output" == escaped* ]]
    run runt_run -- "$prog" "$SCRATCH/host-marker"
    [ "$status" -eq 1 ]
    [[ "$output" == contained* ]]
}

@test "03: /dev holds exactly the expected nodes, and they work" {
    run runt_run -- sh -c 'ls -A /dev | tr "\n" " "'
    [ "$output" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
    run runt_run -- sh -c 'echo gone >/dev/null && head -c 8 /dev/zero | od -An -tx1 | tr -d " \n"'
    [ "$output" = "0000000000000000" ]
    run runt_run -- sh -c 'head -c 16 /dev/urandom | wc -c; head -c 16 /dev/random | wc -c'
    [ "${lines[0]}" -eq 16 ]
    [ "${lines[1]}" -eq 16 ]
    run runt_run -- sh -c 'echo x >/dev/full'
    [ "$status" -ne 0 ]
    [[ "$output" == *"No space left on device"* ]]
    run runt_run -- sh -c 'stat -c "%F %t,%T %a" /dev/null'
    [ "$output" = "character special file 1,3 666" ]
}

@test "03: /dev/pts is a new devpts instance and /dev/ptmx points into it" {
    run runt_run -- sh -c 'readlink /dev/ptmx; grep " /dev/pts " /proc/mounts'
    [ "${lines[0]}" = "pts/ptmx" ]
    [[ "${lines[1]}" == "devpts /dev/pts devpts "*"gid=5,mode=620,ptmxmode=666"* ]]
    run runt_run -- sh -c 'ls /dev/pts'
    [ "$output" = "ptmx" ]
}

@test "03: chmod and chown of /dev/null inside leave the host's /dev/null unchanged" {
    skip_from 6 "/dev is read-only, so that no device node can be added to it"
    devnull_before=$(stat -c '%a %u %g' /dev/null)
    run runt_run -- sh -c 'chmod 600 /dev/null && chown 1000 /dev/null && stat -c "%a %u" /dev/null'
    [ "$status" -eq 0 ]
    [ "$output" = "600 1000" ]
    [ "$(stat -c '%a %u %g' /dev/null)" = "$devnull_before" ]
}

@test "03: /sys is read-only" {
    run runt_run -- sh -c 'grep " /sys " /proc/mounts; touch /sys/runt-test'
    [ "$status" -ne 0 ]
    [[ "${lines[0]}" == "sysfs /sys sysfs ro,"* ]]
    [[ "$output" == *"Read-only file system"* ]]
}

@test "03: /proc is a fresh proc mounted nosuid,nodev,noexec; /proc/1/cmdline is the command" {
    run runt_run -- grep " /proc " /proc/mounts
    [[ "$output" == "proc /proc proc rw,nosuid,nodev,noexec"* ]]
    # (a trailing command keeps sh from exec-ing tr as PID 1)
    run runt_run -- sh -c 'tr "\0" , </proc/1/cmdline; exit 0' one 'two words'
    [ "$output" = 'sh,-c,tr "\0" , </proc/1/cmdline; exit 0,one,two words,' ]
}

@test "03: two containers of one rootfs run at the same time" {
    start_container -- sh -c 'echo ready; sleep 100'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    run runt_run -- echo second
    [ "$status" -eq 0 ]
    [ "$output" = "second" ]
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    ! ls -A "$(test_rootfs)" | grep -q oldroot
}

@test "03: until stage 04, writes land in the rootfs directory itself" {
    skip_from 4 "from stage 04 on, writes go to a per-container upper layer"
    run runt_run -- sh -c 'echo written >/from-container'
    [ "$status" -eq 0 ]
    [ "$(cat "$(test_rootfs)/from-container")" = "written" ]
}

@test "03: -v narrates bind, pivot_root and the new mounts" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    # From stage 04 the new root is the overlay's merged dir, not the image itself.
    stage_at_least 4 && new_root="$RUNT_ROOT/containers/*/merged" || new_root=$(test_rootfs)
    [[ "$output" == *"=> bind-mount "$new_root" onto itself"* ]]
    [[ "$output" == *"=> pivot_root into "$new_root* ]]
    [[ "$output" == *"=> unmount the old root"* ]]
    [[ "$output" == *"=> mount tmpfs on /dev, mknod null zero full random urandom tty"* ]]
}

@test "03: an empty image path is refused, and nothing is created" {
    refuses_empty "runt: rootfs: empty path (try: runt --help)" run '' true
}
