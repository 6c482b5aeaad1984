#!/usr/bin/env bats
# Stage 04: the image is a read-only lower layer; each container writes to its own upper layer.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() {
    runt_setup
    # Give the image some content for the container to change.
    rootfs=$(test_rootfs)
    mkdir -p "$rootfs/data/dir/sub"
    echo original >"$rootfs/data/file"
    echo keep >"$rootfs/data/dir/a"
    echo keep >"$rootfs/data/dir/sub/b"
    echo old-name >"$rootfs/data/to-rename"
    chmod 644 "$rootfs/data/file"
}
teardown() { runt_teardown; }

# A checksum of everything in the image: names, types, modes, owners, sizes, contents.
image_sum() {
    (
        cd "$rootfs"
        find . -printf '%p %y %m %u %g %s %T@\n' | sort
        find . -type f -exec sha256sum {} + | sort
    ) | sha256sum
}

changes='echo new >/data/new &&
    echo more >>/data/file &&
    chmod 600 /data/file &&
    rm /data/dir/a &&
    mv /data/to-rename /data/renamed &&
    rm -rf /data/dir &&
    mkdir /data/dir && echo fresh >/data/dir/c'

@test "04: writes, appends, chmods, deletes and renames never change the image" {
    before=$(image_sum)
    run runt_run -- sh -c "$changes"
    [ "$status" -eq 0 ]
    run runt_run -- sh -c 'rm -rf /bin/ls /etc; echo x >/bin/busybox-copy'
    [ "$status" -eq 0 ]
    [ "$(image_sum)" = "$before" ]
}

@test "04: inside, the changes are visible and deleted files are gone" {
    run runt_run -- sh -c "$changes"' && cat /data/new /data/file && stat -c %a /data/file &&
        ls /data; ls /data/dir; test ! -e /data/to-rename && test ! -e /data/dir/sub && echo gone'
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'new\noriginal\nmore\n600\ndir\nfile\nnew\nrenamed\nc\ngone')" ]
}

@test "04: every container starts from the image, not from the last one's changes" {
    run runt_run -- sh -c 'rm /data/file && echo first >/data/new'
    [ "$status" -eq 0 ]
    run runt_run -- sh -c 'cat /data/file; test -e /data/new && echo leaked'
    [ "$output" = "original" ]
}

@test "04: two containers of one image at the same time never see each other's writes" {
    start_container -- sh -c 'echo A >/data/owner; rm /data/file; echo ready; sleep 100'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    run runt_run -- sh -c 'cat /data/owner 2>/dev/null; cat /data/file; echo B >/data/owner'
    [ "$output" = "original" ]
    [ "$(ls "$RUNT_ROOT/containers" | wc -l)" -eq 1 ]
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
}

@test "04: after exit the state root holds nothing of the container" {
    run runt_run -v -- sh -c 'echo x >/x'
    [ "$status" -eq 0 ]
    id=$(sed -n 's/^=> container //p' <<<"$output")
    [[ "$output" == *"=> remove $RUNT_ROOT/containers/$id"* ]]
    [ -d "$RUNT_ROOT/containers" ]
    [ -z "$(ls -A "$RUNT_ROOT/containers")" ]
}

@test "04: a closed stderr does not stop runt from cleaning up; the command keeps SIGPIPE" {
    runt_cmd -v -- sh -c 'sleep 0.5; grep SigIgn /proc/self/status'
    # head exits after one line: later narration meets a closed pipe (SIGPIPE, or EPIPE).
    "${RUNT_CMD[@]}" 2>&1 | head -n1 >"$SCRATCH/first"
    [[ "$(cat "$SCRATCH/first")" == "=> container "* ]]
    [ -z "$(ls -A "$RUNT_ROOT/containers")" ]
    # The command does not inherit runt's ignored SIGPIPE (bit 12 of SigIgn).
    run runt_run -- grep SigIgn /proc/self/status
    [ "$status" -eq 0 ]
    sigign=$(awk '{print $2}' <<<"$output")
    (((0x$sigign & 0x1000) == 0))
}

@test "04: --keep keeps the upper dir, which holds exactly the changes" {
    run runt_run --keep -v -- sh -c 'echo new >/data/new && rm /data/dir/a && rm -rf /data/dir/sub && echo more >>/data/file'
    [ "$status" -eq 0 ]
    id=$(sed -n 's/^=> container //p' <<<"$output")
    upper="$RUNT_ROOT/containers/$id/upper"
    [[ "$output" == *"runt: kept container $id: its changes are in $upper"* ]]
    # new file, copied-up file, and whiteouts (0/0 character devices) for the deletions.
    run bash -c "cd '$upper' && find . -mindepth 1 -printf '%p %y\n' | sort"
    [ "$output" = "$(printf './data d\n./data/dir d\n./data/dir/a c\n./data/dir/sub c\n./data/file f\n./data/new f')" ]
    [ "$(stat -c %t,%T "$upper/data/dir/a")" = "0,0" ]
    [ "$(cat "$upper/data/file")" = "$(printf 'original\nmore')" ]
    rm -rf "$RUNT_ROOT/containers/$id"
}

@test "04: rm -rf of a directory then re-creating it makes it opaque" {
    run runt_run --keep -- sh -c 'rm -rf /data/dir && mkdir /data/dir && echo c >/data/dir/c && ls -A /data/dir'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "c" ]
    upper=$(sed -n 's/^runt: kept container [0-9a-f]*: its changes are in //p' <<<"$output")
    [ -d "$upper" ]
    # The upper dir holds only c: no whiteouts for a and sub, yet the image's a and sub
    # stayed hidden above. Only an opaque directory (trusted.overlay.opaque=y) does that.
    [ "$(ls -A "$upper/data/dir")" = "c" ]
    [ -e "$(test_rootfs)/data/dir/a" ]
    rm -rf "$(dirname "$upper")"
}

@test "04: a container whose PID 1 is SIGKILLed from the host leaves nothing behind" {
    start_container -- sh -c 'echo x >/data/x; echo ready; sleep 100'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    [ "$(ls "$RUNT_ROOT/containers" | wc -l)" -eq 1 ]
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    [ "$status" -eq 137 ]
    [ -z "$(ls -A "$RUNT_ROOT/containers")" ]
}

@test "04: the merged mount is never visible on the host while the container runs" {
    start_container -- sh -c 'echo ready; sleep 100'
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    ! grep -q overlay /proc/self/mountinfo || ! grep " overlay " /proc/self/mountinfo | grep -q "$RUNT_ROOT"
    ! grep -q "$RUNT_ROOT" /proc/self/mountinfo
    # ...but the container's own mount table has it as /.
    pid1=$(child_of "$BG_PID")
    grep -q "^overlay / overlay .*upperdir=$RUNT_ROOT/containers/" "/proc/$pid1/mounts"
    kill -KILL "$pid1"
    wait_container
}

@test "04: --root and RUNT_ROOT choose the state root; --root wins" {
    run env RUNT_ROOT="$SCRATCH/from-env" "$RUNT" run -v "$(test_rootfs)" true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> create $SCRATCH/from-env/containers/"* ]]
    run env RUNT_ROOT="$SCRATCH/from-env" "$RUNT" run -v --root "$SCRATCH/from-flag" "$(test_rootfs)" true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> create $SCRATCH/from-flag/containers/"* ]]
    [ -z "$(ls -A "$SCRATCH/from-env/containers")" ]
    [ -z "$(ls -A "$SCRATCH/from-flag/containers")" ]
}

@test "04: a state root that is a file is a clear error, and nothing is created" {
    touch "$SCRATCH/file"
    run "$RUNT" run --root "$SCRATCH/file" "$(test_rootfs)" true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: mkdir $SCRATCH/file/containers: Not a directory" ]
}

@test "04: an image or state root path overlayfs cannot carry is rejected before anything is created" {
    cp -a "$(test_rootfs)" "$SCRATCH/a,b"
    run "$RUNT" run "$SCRATCH/a,b" true
    [ "$status" -eq 125 ]
    [[ "$output" == "runt: rootfs $SCRATCH/a,b: overlayfs cannot take a path with ',', ':' or '\\'" ]]
    [ ! -e "$RUNT_ROOT" ]
    # The state root holds upperdir and workdir, so the same goes for it.
    run "$RUNT" run --root "$SCRATCH/x:y" "$(test_rootfs)" true
    [ "$status" -eq 125 ]
    [[ "$output" == "runt: --root $SCRATCH/x:y: overlayfs cannot take a path with ',', ':' or '\\'" ]]
    [ ! -e "$SCRATCH/x:y" ]
}

@test "04: an overlay that cannot be mounted names the likely cause, and cleans up" {
    # A state root on overlayfs, as when runt runs inside a container: overlayfs
    # refuses an upper layer on overlayfs. Built in a private mount namespace.
    mkdir -p "$SCRATCH"/{l,u,w,m}
    run unshare -m --propagation private bash -c "
        mount -t overlay overlay -o lowerdir=$SCRATCH/l,upperdir=$SCRATCH/u,workdir=$SCRATCH/w $SCRATCH/m &&
        '$RUNT' run --root $SCRATCH/m/state '$(test_rootfs)' true;
        echo \"status \$?\"; ls -A $SCRATCH/m/state/containers"
    [[ "${lines[0]}" == "runt: mount overlay on $SCRATCH/m/state/containers/"*"/merged: "*": the state root is itself on overlayfs, as inside another container (use --root on a tmpfs or a disk filesystem)" ]]
    [ "${lines[1]}" = "status 125" ]
    [ "${#lines[@]}" -eq 2 ]
}

@test "04: -v narrates the overlay" {
    run runt_run -v -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"=> mount overlay on $RUNT_ROOT/containers/"*"/merged (lowerdir=$(test_rootfs))"* ]]
    [[ "$output" == *"=> pivot_root into $RUNT_ROOT/containers/"*"/merged"* ]]
}

@test "04: an empty --root or RUNT_ROOT is refused, and nothing is created at the host's /" {
    [ ! -e /containers ] || skip "/containers exists on this host: the test could not tell"
    refuses_empty "runt: --root: empty value (try: runt --help)" run --root '' "$(test_rootfs)" true
    RUNT_ROOT='' refuses_empty "runt: RUNT_ROOT: empty value (unset it, or name a directory)" run "$(test_rootfs)" true
    [ ! -e /containers ]
}

@test "04: a failing step in the child leaves the cleanup to runt, even when runt is PID 1" {
    # /proc as a file: mounting proc on it fails in the child, after clone.
    rootfs=$(test_rootfs)
    rm -rf "$rootfs/proc"
    touch "$rootfs/proc"
    # As PID 1 of a new PID namespace, runt's pid is 1, like its child's in its own.
    run unshare -pf --mount-proc "$RUNT" run -v "$rootfs" true
    echo "$output"
    [ "$status" -eq 125 ]
    # One error line, from the child; the container's directory removed once, by runt.
    [ "$(grep -c '^runt: ' <<<"$output")" -eq 1 ]
    grep -qx 'runt: mount proc on /proc: Not a directory' <<<"$output"
    [ "$(grep -c "^=> remove $RUNT_ROOT/containers/" <<<"$output")" -eq 1 ]
    if stage_at_least 5; then
        # ...and its cgroups, by runt alone: one on cgroup v2, one per controller on v1.
        cgroups=3
        [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && cgroups=1
        [ "$(grep -c '^=> remove cgroup ' <<<"$output")" -eq "$cgroups" ]
    fi
    [ -z "$(ls -A "$RUNT_ROOT/containers")" ]
}
