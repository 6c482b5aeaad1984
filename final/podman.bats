#!/usr/bin/env bats
# podman drives final/runt: `podman --runtime "$RUNT"` runs containers through conmon and
# runc's command line (create, start, state, kill, delete, exec), and each test looks at what
# came of it, inside the container and from the host.
#
# The suite never touches the machine's podman: its own store (--root, --runroot, vfs), its
# own containers.conf, tmpdir and event log, its own cgroup parent, and an image imported
# from images/busybox (no network). teardown_file removes all of it and checks that nothing
# is left: containers, runt state, cgroups, mounts, network namespaces, processes.
#
# podman passes runt no --root, and conmon clears the environment, so runt keeps its state
# in its default root, /var/lib/runt. (podman's --runtime-flag root=DIR reaches create and
# start, but not the delete that conmon's exit command runs: that one would look in
# /var/lib/runt, find nothing, and leave the container behind.) The leak checks look there
# for the ids of this suite's containers.
bats_require_minimum_version 1.5.0

load ../tests/helpers

IMG=localhost/runt-busybox
RUNT_DEFAULT_ROOT=/var/lib/runt

# Why this machine cannot run the suite, if it cannot: every test skips with that reason.
# (bats 1.8 cannot skip from setup_file.)
pm_missing() {
    command -v podman >/dev/null || { echo "podman is not installed (apt-get install podman)"; return; }
    command -v conmon >/dev/null || { echo "conmon is not installed (apt-get install conmon)"; return; }
    [ "$(id -u)" = 0 ] || echo "runt needs root: run the tests with sudo (sudo make test)"
}

setup_file() {
    PM_SKIP=$(pm_missing)
    export PM_SKIP
    [ -z "$PM_SKIP" ] || return 0
    [ -d "$IMAGE/bin" ] || { echo "no image at $IMAGE (run: make image)" >&2; return 1; }
    # podman looks a relative --runtime up in $PATH: give it the path of the runt under test.
    RUNT=$(realpath "$RUNT")
    PM_DIR=$(mktemp -d /tmp/runt-podman.XXXXXX)
    # The cgroup parent of this suite's containers (and of conmon's, its "conmon" child).
    PM_CGROUP=runt-podman-${PM_DIR##*.}
    export RUNT PM_DIR PM_CGROUP
    mkdir "$PM_DIR/tmp"
    # default_ulimits: podman asks for RLIMIT_NOFILE 1048576 by default, above this kind of
    # host's hard limit, and runt refuses a limit it cannot set.
    cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = [ "nofile=20000:20000", "nproc=32768:32768" ]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
image_copy_tmp_dir = "$PM_DIR/tmp"
EOF
    tar -C "$IMAGE" -cf "$PM_DIR/busybox.tar" .
    pm import --quiet --change 'CMD ["/bin/sh"]' "$PM_DIR/busybox.tar" "$IMG" >/dev/null
}

# Every container, the image, the store, and the cgroups of the suite's parent go; then
# nothing of this suite may be left anywhere.
teardown_file() {
    local ids id left="" d status=0
    [ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || return 0
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    pm rmi --all --force >/dev/null 2>&1 || true
    ids=$(pm events --stream=false --filter event=create --format '{{.ID}}' 2>/dev/null)
    for id in $ids; do
        [ ! -e "$RUNT_DEFAULT_ROOT/containers/$id" ] || left="$left state:$id"
        for d in /sys/fs/cgroup/*/"$PM_CGROUP/libpod-$id" /sys/fs/cgroup/"$PM_CGROUP/libpod-$id"; do
            [ ! -d "$d" ] || left="$left cgroup:$d"
        done
    done
    # What is left of the parent is podman's: empty directories, conmon's among them.
    for d in /sys/fs/cgroup/*/"$PM_CGROUP" /sys/fs/cgroup/"$PM_CGROUP"; do
        [ -d "$d" ] || continue
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || left="$left cgroup:$d"
    done
    grep -q " $PM_DIR/" /proc/self/mountinfo && left="$left mounts:$PM_DIR"
    # (grep finds itself: a process that has gone by the time it is named is not counted.)
    for id in $(grep -laF "$PM_DIR" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
        d=$(cat "/proc/$id/comm" 2>/dev/null) && left="$left process:$id($d)"
    done
    if [ -n "$left" ]; then
        echo "podman suite left behind:$left (not removing $PM_DIR)" >&2
        status=1
    else
        rm -rf "$PM_DIR"
    fi
    return $status
}

setup() {
    [ -z "$PM_SKIP" ] || skip "$PM_SKIP"
    runt_setup
}

# Containers a failed test left are removed here, and reported.
teardown() {
    local left status=0
    [ -z "$PM_SKIP" ] || return 0
    left=$(pm ps --all --quiet 2>/dev/null)
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    runt_teardown || status=1
    [ -z "$left" ] || { echo "containers left behind: $left" >&2; status=1; }
    return $status
}

# PM_ARGV: the command line of this suite's podman, with runt as its runtime.
pm_argv() {
    PM_ARGV=(env "CONTAINERS_CONF=$PM_DIR/containers.conf" podman --root "$PM_DIR/storage"
        --runroot "$PM_DIR/run" --storage-driver vfs --cgroup-manager cgroupfs
        --events-backend file --tmpdir "$PM_DIR/tmp" --runtime "$RUNT")
}

# pm ARGS...: this suite's podman.
pm() {
    pm_argv
    "${PM_ARGV[@]}" "$@"
}

# pm_run ARGS...: podman run in this suite's cgroup parent.
pm_run() {
    pm run --pull never --cgroup-parent "/$PM_CGROUP" "$@"
}

# pm_start NAME [PODMAN-OPTIONS...] -- CMD...: a detached container NAME running CMD; sets
# CID and PID (its init's host pid).
pm_start() {
    local name=$1 opts=()
    shift
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    CID=$(pm_run -d --name "$name" "${opts[@]}" "$IMG" "$@")
    PID=$(pm inspect --format '{{.State.Pid}}' "$name")
    echo "started $name: $CID, pid $PID"
    [ "$PID" -gt 0 ] || { pm inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' "$name"; pm logs "$name"; return 1; }
}

# in_pty INPUT PODMAN-ARGS...: this suite's podman on a pty, through script(1), with INPUT
# typed into it. Its input stays open until podman ends: at the end of its input script
# would hang up the pty, a race with what the container prints.
in_pty() {
    local input=$1 typist status=0 tty_in
    shift
    pm_argv
    exec {tty_in}< <(
        printf '%s\n' "$input"
        exec sleep 60
    )
    typist=$!
    script -qec "$(printf '%q ' "${PM_ARGV[@]}" "$@")" /dev/null <&"$tty_in" || status=$?
    exec {tty_in}<&-
    kill "$typist" 2>/dev/null || true
    return $status
}

# gone CID PID: podman, runt and the kernel have forgotten the container: no podman
# container, no runt state, no cgroup, no init.
gone() {
    [ -z "$(pm ps --all --quiet --filter "id=$1")" ]
    [ ! -e "$RUNT_DEFAULT_ROOT/containers/$1" ]
    [ ! -d "/sys/fs/cgroup/pids/$PM_CGROUP/libpod-$1" ] && [ ! -d "/sys/fs/cgroup/$PM_CGROUP/libpod-$1" ]
    [ -z "$2" ] || [ ! -e "/proc/$2" ] || [ "$(awk '{print $3}' "/proc/$2/stat")" = Z ]
}

# ---- run --------------------------------------------------------------------------------

@test "podman: run --rm prints the command's output, exits with its status, and leaves nothing" {
    run pm_run --rm --cidfile "$SCRATCH/cid" "$IMG" sh -c 'echo "hello from $(hostname)"; exit 3'
    [ "$status" -eq 3 ]
    cid=$(cat "$SCRATCH/cid")
    # podman names the container's host after the start of its id.
    [ "$output" = "hello from ${cid:0:12}" ]
    gone "$cid" ""
}

@test "podman: no_new_privs is off unless --security-opt no-new-privileges asks, under podman's filter" {
    run pm_run --rm "$IMG" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | tr -s '\t\n' ' ')" = "NoNewPrivs: 0 Seccomp: 2 " ]
    run pm_run --rm --security-opt no-new-privileges "$IMG" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | tr -s '\t\n' ' ')" = "NoNewPrivs: 1 Seccomp: 2 " ]
}

@test "podman: run -e sets the environment; -v shares a host directory both ways" {
    mkdir "$SCRATCH/vol"
    echo from-host >"$SCRATCH/vol/in"
    run pm_run --rm -e K=V -v "$SCRATCH/vol:/ctr" "$IMG" sh -c 'echo "K=$K"; cat /ctr/in; echo from-container >/ctr/out'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = K=V ]
    [ "${lines[1]}" = from-host ]
    [ "$(cat "$SCRATCH/vol/out")" = from-container ]
}

@test "podman: --memory and --pids-limit are in the container's cgroup, seen inside and from the host" {
    pm_start limits --memory 64m --pids-limit 20 -- sleep 1000
    run pm exec limits sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
        cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 67108864 ]
    [ "${lines[1]}" = 20 ]
    # The init is in runt's cgroup under the suite's parent, where the limits are written.
    if [ -d /sys/fs/cgroup/memory ]; then
        grep -qx "[0-9]*:memory:/$PM_CGROUP/libpod-$CID" "/proc/$PID/cgroup"
        [ "$(cat "/sys/fs/cgroup/memory/$PM_CGROUP/libpod-$CID/memory.limit_in_bytes")" = 67108864 ]
        [ "$(cat "/sys/fs/cgroup/pids/$PM_CGROUP/libpod-$CID/pids.max")" = 20 ]
    else
        [ "$(cat "/sys/fs/cgroup/$PM_CGROUP/libpod-$CID/memory.max")" = 67108864 ]
        [ "$(cat "/sys/fs/cgroup/$PM_CGROUP/libpod-$CID/pids.max")" = 20 ]
    fi
    # And the pids limit holds: 30 background sleeps cannot all be forked (and busybox's sh
    # gives up at the first that fails).
    run pm exec limits sh -c 'for i in $(seq 30); do sleep 1000 & done; echo all forked'
    [ "$status" -ne 0 ]
    [ "$output" = "sh: can't fork: Resource temporarily unavailable" ]
    run pm rm --force --time 0 limits
    [ "$status" -eq 0 ]
    gone "$CID" "$PID"
}

@test "podman: run -it through a pty: tty names a /dev/pts device, input goes in, output and status come back" {
    command -v script >/dev/null || skip "script (util-linux) is not installed"
    run in_pty 'tty; echo "typed $((6 * 7))"; exit 4' run -it --rm --pull never --cgroup-parent "/$PM_CGROUP" "$IMG" sh
    echo "$output"
    [ "$status" -eq 4 ]
    output=$(tr -d '\r' <<<"$output")
    grep -qx /dev/pts/0 <<<"$output"
    grep -qx "typed 42" <<<"$output"
}

# ---- a running container ------------------------------------------------------------------

@test "podman: exec and exec -it run in the container runt started" {
    command -v script >/dev/null || skip "script (util-linux) is not installed"
    pm_start box -- sleep 1000
    # runt knows the container by podman's id, with the init podman reports.
    [ "$("$RUNT" --root "$RUNT_DEFAULT_ROOT" state "$CID" | grep -o '"status": *"[a-z]*"' | tr -d ' "')" = status:running ]
    [ "$(readlink "/proc/$PID/exe")" != "$(readlink /proc/self/exe)" ]
    run pm exec -e X=1 box sh -c 'echo "$X $(cat /proc/1/cmdline | tr "\0" " ")"; exit 5'
    [ "$status" -eq 5 ]
    [ "$output" = "1 sleep 1000 " ]
    run in_pty 'tty; echo "pid 1: $(cat /proc/1/comm)"; exit 6' exec -it box sh
    [ "$status" -eq 6 ]
    output=$(tr -d '\r' <<<"$output")
    grep -qx '/dev/pts/[0-9]*' <<<"$output"
    grep -qx "pid 1: sleep" <<<"$output"
    run pm rm --force --time 0 box
    gone "$CID" "$PID"
}

@test "podman: stop sends SIGTERM, then SIGKILL after its timeout; kill; rm --force" {
    pm_start trapper -- sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
    run pm stop --time 60 trapper
    [ "$status" -eq 0 ]
    # Exit 7 is the trap's: SIGTERM reached the init, and it ended well within its 60 s.
    [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' trapper)" = "exited 7" ]
    gone_cid=$CID
    # An init with no handler ignores SIGTERM (it is pid 1): stop kills it after 1 s.
    pm_start sleeper -- sleep 1000
    run pm stop --time 1 sleeper
    [ "$status" -eq 0 ]
    [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' sleeper)" = "exited 137" ]
    pm_start victim -- sleep 1000
    run pm kill --signal KILL victim
    [ "$status" -eq 0 ]
    run pm wait victim
    [ "$output" = 137 ]
    pm rm trapper sleeper victim
    gone "$gone_cid" ""
    # rm --force ends a running container, and everything of it goes.
    pm_start doomed -- sleep 1000
    [ -e "$RUNT_DEFAULT_ROOT/containers/$CID" ]
    run pm rm --force --time 0 doomed
    [ "$status" -eq 0 ]
    gone "$CID" "$PID"
}

# ---- the network --------------------------------------------------------------------------

@test "podman: the container joins the network namespace podman made, with its address" {
    [ "$(pm info --format '{{.Host.NetworkBackend}}')" = netavark ] ||
        skip "this podman does not use netavark (bridge networking)"
    pm_start net -- sleep 1000
    netns=$(pm inspect --format '{{.NetworkSettings.SandboxKey}}' net)
    addr=$(pm inspect --format '{{.NetworkSettings.IPAddress}}' net)
    echo "netns $netns, address $addr"
    [ -n "$addr" ]
    # The init's network namespace is the one podman made (and bind-mounted), not a new one.
    [ "$(readlink "/proc/$PID/ns/net")" = "net:[$(stat -L -c %i "$netns")]" ]
    [ "$(readlink "/proc/$PID/ns/net")" != "$(readlink /proc/self/ns/net)" ]
    run pm exec net ip -4 -o addr show eth0
    [[ "$output" == *" inet $addr/"* ]]
    # The bridge answers: the host's end of the container's veth.
    gateway=$(pm inspect --format '{{.NetworkSettings.Gateway}}' net)
    run pm exec net ping -c 1 -W 5 "$gateway"
    [ "$status" -eq 0 ]
    run pm rm --force --time 0 net
    gone "$CID" "$PID"
    [ ! -e "$netns" ]
}
