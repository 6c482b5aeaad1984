#!/usr/bin/env bats
# containerd drives final/runt: the path Kubernetes takes. The suite starts its own containerd
# (config, root, state and socket in a temp dir), imports a busybox image it writes by hand as
# an OCI image layout, and runs containers with `ctr run --runc-binary runt`: containerd's
# runc shim (io.containerd.runc.v2) then calls runt create/start/state/kill/delete/exec with
# --root, --log and --log-format json, as it calls runc. Nothing outlives the file: the
# daemon, its shims, their mounts and the cgroups of this run's containerd namespace.
bats_require_minimum_version 1.5.0

load ../tests/helpers

IMAGE_REF=localhost/runt-busybox:latest

# ---- the daemon and the image ------------------------------------------------------------

# containerd's own config: everything under $CTR_DIR; no CRI (this is not a kubelet), no "opt"
# plugin (it would make /opt/containerd), and no snapshotter that needs what this machine
# lacks (overlayfs, the default, is built in).
write_containerd_config() {
    cat >"$CTR_DIR/config.toml" <<EOF
version = 2
root = "$CTR_DIR/root"
state = "$CTR_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CTR_DIR/containerd.sock"

[ttrpc]
  address = "$CTR_DIR/containerd.sock.ttrpc"
EOF
}

# containerd 1.6 puts each shim's socket in /run/containerd/s whatever its config says, so it
# runs in a mount namespace of its own with a fresh /run (mount_namespaces(7)). Its shims and
# every mount they make (image snapshots, container root filesystems) live there too, and go
# away with it: the host's mount table never sees them.
start_containerd() {
    local pid
    unshare --mount --propagation private \
        sh -c 'mount -t tmpfs -o mode=0755 runt-ctr-run /run && exec containerd --config "$1"' \
        sh "$CTR_DIR/config.toml" </dev/null >"$CTR_DIR/containerd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$CTR_DIR/containerd.pid"
    # Its mount namespace, once unshare(2) has made it: teardown finds the daemon, its shims
    # and their containers by it, even if the daemon never answers.
    wait_for "[ \"\$(readlink /proc/$pid/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]"
    readlink "/proc/$pid/ns/mnt" >"$CTR_DIR/containerd.mntns" || true
    # Serving, or dead (a bad config): stop waiting at either.
    wait_for "[ -S '$CTR_DIR/containerd.sock' ] || ! kill -0 $pid 2>/dev/null" || true
    if ! kill -0 "$pid" 2>/dev/null || ! ctr --address "$CTR_DIR/containerd.sock" \
        --connect-timeout 10s version >/dev/null; then
        echo "containerd did not start:" >&2
        tail -5 "$CTR_DIR/containerd.log" >&2
        return 1
    fi
}

# add_blob FILE: move FILE into the layout's blobs, named by its sha256 (the OCI image-spec's
# image-layout.md); sets DIGEST and SIZE, for the descriptor that points at it.
add_blob() {
    DIGEST=sha256:$(sha256sum "$1" | cut -d' ' -f1)
    SIZE=$(stat -c %s "$1")
    mv "$1" "$CTR_DIR/oci/blobs/sha256/${DIGEST#sha256:}"
}

# descriptor MEDIA-TYPE: the descriptor of the blob add_blob added last.
descriptor() {
    jq -cn --arg type "$1" --arg digest "$DIGEST" --argjson size "$SIZE" \
        '{mediaType: $type, digest: $digest, size: $size}'
}

# This machine's architecture as Go names it, as image configs and containerd do.
go_arch() {
    case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) uname -m ;;
    esac
}

# The smallest OCI image: one uncompressed layer (a tar of images/busybox), a config naming
# its diff id (the sha256 of the uncompressed tar: here the layer's own digest), a manifest,
# and an index whose annotation gives ctr the image's name. Then a tar of it all.
write_image_tar() {
    local layer config
    mkdir -p "$CTR_DIR/oci/blobs/sha256"
    tar -C "$IMAGE" --numeric-owner -cf "$CTR_DIR/layer.tar" .
    add_blob "$CTR_DIR/layer.tar"
    layer=$(descriptor application/vnd.oci.image.layer.v1.tar)
    jq -cn --arg arch "$(go_arch)" --arg layer "$DIGEST" \
        '{architecture: $arch, os: "linux", config: {Cmd: ["sh"]},
          rootfs: {type: "layers", diff_ids: [$layer]}}' >"$CTR_DIR/config.json"
    add_blob "$CTR_DIR/config.json"
    config=$(descriptor application/vnd.oci.image.config.v1+json)
    jq -cn --argjson config "$config" --argjson layer "$layer" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: $config, layers: [$layer]}' >"$CTR_DIR/manifest.json"
    add_blob "$CTR_DIR/manifest.json"
    jq -cn --argjson manifest "$(descriptor application/vnd.oci.image.manifest.v1+json)" \
        --arg name "$IMAGE_REF" \
        '{schemaVersion: 2, manifests: [$manifest + {annotations: {"io.containerd.image.name": $name}}]}' \
        >"$CTR_DIR/oci/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$CTR_DIR/oci/oci-layout"
    tar -C "$CTR_DIR/oci" -cf "$CTR_DIR/image.tar" .
}

# Why the suite cannot run here, if it cannot. (bats 1.8 cannot skip from setup_file: each
# test skips, in setup, with this reason.)
missing_requirement() {
    if [ "$(id -u)" != 0 ]; then
        echo "runt needs root: run the tests with sudo (sudo make test)"
    elif ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
        ! command -v containerd-shim-runc-v2 >/dev/null; then
        echo "containerd is not installed (Debian: apt-get install containerd)"
    elif ! command -v jq >/dev/null; then
        echo "jq is not installed (the suite writes the image's JSON with it)"
    fi
}

setup_file() {
    CTR_SKIP=$(missing_requirement)
    export CTR_SKIP
    [ -z "$CTR_SKIP" ] || return 0
    [ -d "$IMAGE/bin" ] || { echo "no image at $IMAGE (run: make image)" >&2; return 1; }
    CTR_DIR=$(mktemp -d /tmp/runt-ctr.XXXXXX)
    # A containerd namespace of this run's own: its cgroups are /sys/fs/cgroup/*/$CTR_NS/<id>.
    CTR_NS=runt-test-${CTR_DIR##*.}
    RUNT_BIN=$(readlink -f "$RUNT")
    export CTR_DIR CTR_NS RUNT_BIN
    write_containerd_config
    start_containerd
    write_image_tar
    ctr_ image import "$CTR_DIR/image.tar" >"$CTR_DIR/import.out"
}

# ctr_ ARGS...: ctr on this suite's containerd and namespace. The timeouts turn a hang, or a
# daemon gone, into a failure.
ctr_() {
    timeout 60 ctr --address "$CTR_DIR/containerd.sock" --connect-timeout 10s \
        --namespace "$CTR_NS" "$@"
}

# ctr_run [--FLAG[=VALUE]...] ID COMMAND...: ctr run of the image on runt. Its state root and the
# fifos of the container's stdio go under $CTR_DIR too (their defaults are in /run).
ctr_run() {
    local flags=()
    while [[ "$1" == -* ]]; do flags+=("$1") && shift; done
    ctr_ run --runc-binary "$RUNT_BIN" --runc-root "$CTR_DIR/runc" --fifo-dir "$CTR_DIR/fifo" \
        "${flags[@]}" "$IMAGE_REF" "$@"
}

ctr_exec() {
    ctr_ task exec --fifo-dir "$CTR_DIR/fifo" "$@"
}

# task_status ID: RUNNING, STOPPED... as `ctr task ls` shows it.
task_status() {
    ctr_ task ls | awk -v id="$1" '$1 == id { print $3 }'
}

# remove_container ID: SIGKILL its task, then delete the task and the container.
remove_container() {
    ctr_ task kill -s SIGKILL "$1" >/dev/null 2>&1 || true
    wait_for "[ \"\$(task_status $1)\" != RUNNING ]" || true
    ctr_ task delete "$1" >/dev/null 2>&1 || true
    ctr_ container delete "$1" >/dev/null
}

# runt's own view, in the state root the shim gives it: <--runc-root>/<namespace>.
runt_state() {
    "$RUNT_BIN" --root "$CTR_DIR/runc/$CTR_NS" state "$1"
}

setup() {
    [ -z "$CTR_SKIP" ] || skip "$CTR_SKIP"
}

# ---- cleaning up ----------------------------------------------------------------------------

# A failed test may leave containers: report them, then kill and delete them through ctr.
teardown() {
    local left id
    [ -n "${CTR_DIR:-}" ] || return 0
    left=$(ctr_ container ls -q)
    for id in $left; do remove_container "$id" || true; done
    [ -z "$left" ] || {
        echo "containers left behind: $left" >&2
        return 1
    }
}

# namespace_tree MNTNS: the processes in mount namespace MNTNS (containerd, its shims) and
# their descendants (the containers, in namespaces of their own).
namespace_tree() {
    local p pid queue=()
    [ -n "$1" ] || return 0
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && queue+=("${p#/proc/}")
    done
    while [ ${#queue[@]} -gt 0 ]; do
        pid=${queue[0]}
        queue=("${queue[@]:1}")
        echo "$pid"
        # shellcheck disable=SC2207 # pids: one word each
        queue+=($(cat "/proc/$pid/task/"*/children 2>/dev/null))
    done
}

teardown_file() {
    local status=0 pids pid ns left
    if [ -z "${CTR_DIR:-}" ] || [ ! -d "$CTR_DIR" ]; then return 0; fi
    ctr_ image remove "$IMAGE_REF" >/dev/null 2>&1 || true
    # The daemon first (SIGTERM: it closes its database), then whatever of its namespace is
    # still there: a shim outlives containerd by design, and should be gone by now.
    ns=$(cat "$CTR_DIR/containerd.mntns" 2>/dev/null) || ns=""
    pid=$(cat "$CTR_DIR/containerd.pid" 2>/dev/null) || pid=""
    if [ -n "$ns" ] && [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$ns" ]; then
        kill -TERM "$pid"
        wait_for "! kill -0 $pid 2>/dev/null" || true
    fi
    pids=$(namespace_tree "$ns")
    if [ -n "$pids" ]; then
        echo "left running: $(for p in $pids; do printf '%s (%s) ' "$p" "$(cat "/proc/$p/comm")"; done)" >&2
        status=1
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
        for pid in $pids; do wait_for "! kill -0 $pid 2>/dev/null" || true; done
    fi
    # With its last process, the mount namespace goes, and every mount containerd made.
    pids=$(namespace_tree "$ns")
    [ -z "$pids" ] || {
        echo "still running after SIGKILL: $pids" >&2
        return 1
    }
    # runt makes a container's cgroup and its parents; delete removes the container's own.
    # The parents, $CTR_NS under the v2 root or each v1 controller, are this run's to remove
    # (deepest first).
    find /sys/fs/cgroup/"$CTR_NS" /sys/fs/cgroup/*/"$CTR_NS" -depth -type d -exec rmdir {} + 2>/dev/null || true
    left=$(ls -d /sys/fs/cgroup/"$CTR_NS" /sys/fs/cgroup/*/"$CTR_NS" 2>/dev/null) || true
    if [ -n "$left" ]; then
        echo "cgroups left: $left" >&2
        status=1
    fi
    if grep -qF " $CTR_DIR/" /proc/self/mountinfo; then
        echo "mounts left under $CTR_DIR; not removing it" >&2
        return 1
    fi
    [ $status = 0 ] || tail -5 "$CTR_DIR/containerd.log" >&2
    rm -rf "$CTR_DIR"
    return $status
}

# ---- the tests ------------------------------------------------------------------------------

@test "containerd: ctr image import takes the OCI image layout written here" {
    grep -qF "unpacking $IMAGE_REF" "$CTR_DIR/import.out"
    run ctr_ image ls
    [ "$status" -eq 0 ]
    [[ "$output" == *"$IMAGE_REF "*"linux/$(go_arch)"* ]]
}

@test "containerd: run --rm: the command's output and exit status; nothing is left" {
    run ctr_run --rm t-rm sh -c 'echo "hi from pid $$"; exit 3'
    [ "$status" -eq 3 ]
    [ "$output" = "hi from pid 1" ]
    [ -z "$(ctr_ container ls -q)" ]
    [ -z "$(ls -A "$CTR_DIR/runc/$CTR_NS/containers")" ]
}

@test "containerd: run -d, exec into it, task ps, kill, task ls, task delete, container delete" {
    run ctr_run -d t-d sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
    [ "$status" -eq 0 ]
    [ "$(task_status t-d)" = RUNNING ]
    # The shim went through runt: runt's state root holds the container, and its pid is
    # the task's, a process in the container's own mount namespace.
    pid=$(ctr_ task ls | awk '$1 == "t-d" { print $2 }')
    [ "$(runt_state t-d | jq -r '[.status, .pid] | @tsv')" = "$(printf 'running\t%s' "$pid")" ]
    [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
    [ -d "/sys/fs/cgroup/pids/$CTR_NS/t-d" ] || [ -d "/sys/fs/cgroup/$CTR_NS/t-d" ]
    # exec: a second process in the same container, with its own exit status.
    run ctr_exec --exec-id x t-d sh -c 'echo "pid 1 is $(cat /proc/1/comm)"; exit 4'
    [ "$status" -eq 4 ]
    [ "$output" = "pid 1 is sh" ]
    # task ps: the shim asks runt ps --format json; the init is among the pids.
    run ctr_ task ps t-d
    [ "$status" -eq 0 ]
    [ "$(head -1 <<<"$output" | tr -s ' ')" = "PID INFO" ]
    awk '{ print $1 }' <<<"$output" | grep -qx "$pid"
    # kill sends SIGTERM; the trap makes the init exit 7.
    run ctr_ task kill t-d
    [ "$status" -eq 0 ]
    wait_for '[ "$(task_status t-d)" = STOPPED ]'
    [ "$(runt_state t-d | jq -r .status)" = stopped ]
    run ctr_ task delete t-d
    [ "$status" -eq 0 ]
    [[ "$output" == *"task t-d exit with non-zero exit code 7"* ]]
    [ ! -e "$CTR_DIR/runc/$CTR_NS/containers/t-d" ]
    [ ! -d "/sys/fs/cgroup/pids/$CTR_NS/t-d" ] && [ ! -d "/sys/fs/cgroup/$CTR_NS/t-d" ]
    run ctr_ container delete t-d
    [ "$status" -eq 0 ]
    [ -z "$(ctr_ container ls -q)" ]
}

@test "containerd: what ctr asks for holds: env, cwd, a read-only root and bind, memory and CPU" {
    mkdir -p "$CTR_DIR/shared"
    echo from-host >"$CTR_DIR/shared/f"
    ctr_run -d --env=FOO=bar --cwd=/tmp --read-only \
        --mount="type=bind,src=$CTR_DIR/shared,dst=/shared,options=rbind:ro" \
        --memory-limit=33554432 --cpus=0.5 t-cfg sleep 100
    run ctr_exec --exec-id x t-cfg sh -c 'echo "$FOO $(pwd) $(cat /shared/f)"; touch /x || touch /shared/x'
    [ "$status" -eq 1 ]
    [ "$output" = "bar /tmp from-host
touch: /x: Read-only file system
touch: /shared/x: Read-only file system" ]
    # The limits, in the cgroup containerd named: /<namespace>/<id>.
    if [ -d /sys/fs/cgroup/memory ]; then
        [ "$(cat "/sys/fs/cgroup/memory/$CTR_NS/t-cfg/memory.limit_in_bytes")" = 33554432 ]
        [ "$(cat "/sys/fs/cgroup/cpu/$CTR_NS/t-cfg/cpu.cfs_quota_us")" = 50000 ]
        [ "$(cat "/sys/fs/cgroup/cpu/$CTR_NS/t-cfg/cpu.cfs_period_us")" = 100000 ]
    else
        [ "$(cat "/sys/fs/cgroup/$CTR_NS/t-cfg/memory.max")" = 33554432 ]
        [ "$(cat "/sys/fs/cgroup/$CTR_NS/t-cfg/cpu.max")" = "50000 100000" ]
    fi
    remove_container t-cfg
}

@test "containerd: --tty: the console socket gives the container a terminal, for run and exec" {
    command -v script >/dev/null || skip "script (util-linux) is not installed"
    # ctr wants a terminal of its own: script gives it one.
    run timeout 60 script -qec "$(printf '%q ' ctr --address "$CTR_DIR/containerd.sock" --namespace "$CTR_NS" \
        run --rm -t --runc-binary "$RUNT_BIN" --runc-root "$CTR_DIR/runc" --fifo-dir "$CTR_DIR/fifo" \
        "$IMAGE_REF" t-tty sh -c '[ -t 0 ] && [ -t 1 ] && tty; exit 5')" /dev/null </dev/null
    [ "$status" -eq 5 ]
    [[ "$output" == *"/dev/pts/0"* ]]
    ctr_run -d t-tty2 sleep 100
    run timeout 60 script -qec "$(printf '%q ' ctr --address "$CTR_DIR/containerd.sock" --namespace "$CTR_NS" \
        task exec -t --fifo-dir "$CTR_DIR/fifo" --exec-id t t-tty2 sh -c '[ -t 0 ] && tty; exit 6')" /dev/null </dev/null
    [ "$status" -eq 6 ]
    [[ "$output" == *"/dev/pts/"* ]]
    remove_container t-tty2
}

@test "containerd: errors reach ctr as one clear line: a failed create, a missing command" {
    # A create that fails: runt's error goes to the --log file in JSON, where the shim reads it.
    run ctr_run --rm --with-ns=network:/nonexistent t-bad true
    [ "$status" -eq 1 ]
    [ "$output" = "ctr: failed to create shim task: OCI runtime create failed: open namespace /nonexistent: No such file or directory: unknown" ]
    # A missing command fails at exec, after start: the message is the container's stderr,
    # and the status 127, as a shell's.
    run -127 ctr_run --rm t-bad /nonexistent
    [ "$output" = "runt: exec /nonexistent: No such file or directory" ]
    # exec of a missing command: runt exec fails, and ctr says why.
    ctr_run -d t-bad sleep 100
    run ctr_exec --exec-id x t-bad /nonexistent
    [ "$status" -eq 1 ]
    [ "$output" = "ctr: OCI runtime exec failed: exec /nonexistent: No such file or directory: unknown" ]
    # ... which it read from runt's --log, one JSON object a line.
    run jq -r '.level + ": " + .msg' "$CTR_DIR/state/io.containerd.runtime.v2.task/$CTR_NS/t-bad/log.json"
    [ "$status" -eq 0 ]
    [ "$output" = "error: exec /nonexistent: No such file or directory" ]
    remove_container t-bad
    [ -z "$(ctr_ container ls -q)" ]
    [ -z "$(ls -A "$CTR_DIR/runc/$CTR_NS/containers")" ]
}
