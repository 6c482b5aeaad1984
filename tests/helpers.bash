# shellcheck shell=bash
# Shared by every stage's test.bats:  setup() { runt_setup; }  teardown() { runt_teardown; }
#
# RUNT names the binary under test, so that stage N's binary can run the suites of
# stages 1..N (make stage-N does that). RUNT_STAGE is its stage number, taken from its
# folder name when not given; final/ counts as 99.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBIN="$REPO_ROOT/tests/bin"
IMAGE="${RUNT_IMAGE:-$REPO_ROOT/images/busybox}"

: "${RUNT:?RUNT must name the runt binary under test (make stage-N sets it)}"
if [ -z "${RUNT_STAGE:-}" ]; then
    case "$(basename "$(dirname "$RUNT")")" in
    [0-9][0-9]-*) RUNT_STAGE=$((10#$(basename "$(dirname "$RUNT")" | cut -c1-2))) ;;
    final) RUNT_STAGE=99 ;;
    *) RUNT_STAGE=99 ;;
    esac
fi

# The cgroup directories where runt creates runt/<id> (v2 root, or each v1 controller).
runt_cgroup_parents() {
    local d
    for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
        d=${d%/}
        [ -d "$d/runt" ] && echo "$d/runt"
    done
    return 0
}

snapshot_host() {
    awk '{print $5}' /proc/self/mountinfo | sort
    echo "--- cgroups"
    runt_cgroup_parents | while read -r p; do find "$p" -mindepth 1 -maxdepth 1 -type d; done | sort
}

runt_setup() {
    [ "$(id -u)" = 0 ] || skip "runt needs root: run the tests with sudo (sudo make test)"
    [ -x "$RUNT" ] || { echo "no runt binary at $RUNT (run make first)" >&2; return 1; }
    SCRATCH=$(mktemp -d /tmp/runt-test.XXXXXX)
    # Tests never use /var/lib/runt: each gets its own state root, checked empty afterwards.
    export RUNT_ROOT="$SCRATCH/state"
    snapshot_host >"$SCRATCH/.before"
    runt_pids >"$SCRATCH/.runt-pids"
    mount_namespaces | cut -d' ' -f1 | sort -u >"$SCRATCH/.mntns"
}

# "mnt:[id] pid" for every process: a container (stage 02 on) has a mount namespace
# of its own, so a process in a namespace that is newer than the test is one left behind.
mount_namespaces() {
    find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%l %h\n' 2>/dev/null | sed 's|/proc/\([0-9]*\)/ns$|\1|'
    return 0
}

# Pids of running copies of the binary under test (one find, not a readlink per process).
runt_pids() {
    find /proc/[0-9]*/exe -maxdepth 0 -lname "$(readlink -f "$RUNT")" -printf '%h\n' 2>/dev/null |
        cut -d/ -f3
    return 0
}

# Kill only what this test started, by pid (start_container records them).
stop_started() {
    local pid
    [ -f "$SCRATCH/.pids" ] || return 0
    while read -r pid; do
        kill -KILL "$pid" 2>/dev/null || true
    done <"$SCRATCH/.pids"
    while read -r pid; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    done <"$SCRATCH/.pids"
    rm -f "$SCRATCH/.pids"
}

# Processes left behind: any in a mount namespace made during the test (a container),
# and copies of runt that were not running when the test started.
leftover_processes() {
    mount_namespaces | awk 'NR == FNR {old[$1]; next} /^mnt:/ && !($1 in old) {print $2 " in " $1}' \
        "$SCRATCH/.mntns" -
    runt_pids | grep -vxF -f "$SCRATCH/.runt-pids" | sed 's/$/ runt/'
    return 0
}

# Fail the test if anything outlived it: mounts, cgroups, state, processes.
assert_no_leaks() {
    local after leaks
    after=$(snapshot_host)
    leaks=$(diff <(cat "$SCRATCH/.before") <(echo "$after") | grep '^>' || true)
    if [ -n "$leaks" ]; then
        echo "leaked on the host (mount points, cgroups):" >&2
        echo "$leaks" >&2
        return 1
    fi
    if [ -d "$RUNT_ROOT/containers" ] && [ -n "$(ls -A "$RUNT_ROOT/containers")" ]; then
        echo "leaked state: $(ls -A "$RUNT_ROOT/containers")" >&2
        return 1
    fi
    leaks=$(leftover_processes)
    if [ -n "$leaks" ]; then
        echo "leaked processes: $leaks" >&2
        return 1
    fi
}

runt_teardown() {
    local status=0
    [ -n "${SCRATCH:-}" ] || return 0
    stop_started
    assert_no_leaks || status=1
    # A failing test may leave mounts under the scratch dir: never rm -rf across them.
    if grep -q " $SCRATCH/" /proc/self/mountinfo; then
        echo "mounts left under $SCRATCH; not removing it" >&2
        return 1
    fi
    rm -rf "$SCRATCH"
    return $status
}

stage_at_least() { [ "$RUNT_STAGE" -ge "$1" ]; }

# skip_from N "reason": this property stops holding at stage N.
skip_from() {
    if [ "$RUNT_STAGE" -ge "$1" ]; then skip "from stage $(printf %02d "$1") on: $2"; fi
}

# The root filesystem of this test: a throwaway copy of the busybox image.
test_rootfs() {
    if [ ! -d "$SCRATCH/rootfs" ]; then
        [ -d "$IMAGE/bin" ] || { echo "no image at $IMAGE (run: make image)" >&2; return 1; }
        cp -a "$IMAGE" "$SCRATCH/rootfs"
    fi
    echo "$SCRATCH/rootfs"
}

# runt_cmd [runt options...] -- command [args...]: set RUNT_CMD to the full runt command
# line. From stage 03 on, runt takes a root filesystem; it goes between options and command.
runt_cmd() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    if stage_at_least 3; then
        RUNT_CMD=("$RUNT" run "${opts[@]}" "$(test_rootfs)" "$@")
    else
        RUNT_CMD=("$RUNT" run "${opts[@]}" "$@")
    fi
}

# runt_run [runt options...] -- command [args...]: run a container in the foreground.
runt_run() {
    runt_cmd "$@"
    "${RUNT_CMD[@]}"
}

# start_container [runt options...] -- command...: run one in the background. BG_PID is
# runt's own pid, recorded so that teardown ends it. Output goes to $SCRATCH/bg.{out,err}.
start_container() {
    runt_cmd "$@"
    "${RUNT_CMD[@]}" >"$SCRATCH/bg.out" 2>"$SCRATCH/bg.err" &
    BG_PID=$!
    echo "$BG_PID" >>"$SCRATCH/.pids"
}

# The path by which a container reaches a test program from tests/bin: before stage 03
# it runs on the host's root; from 03 on, it is copied into the test's rootfs.
test_prog() {
    local name=$1
    [ -x "$TESTBIN/$name" ] || { echo "missing $TESTBIN/$name (run make)" >&2; return 1; }
    if stage_at_least 3; then
        cp "$TESTBIN/$name" "$(test_rootfs)/bin/$name"
        echo "/bin/$name"
    else
        echo "$TESTBIN/$name"
    fi
}

# wait_for FILE-or-command: poll up to ~10 s for a condition; no timing assertions.
wait_for() {
    local _
    for _ in $(seq 1 200); do
        if eval "$1"; then return 0; fi
        sleep 0.05
    done
    echo "timed out waiting for: $1" >&2
    return 1
}

# wait_container: wait for the background runt; its exit status lands in $status.
# (bats' `run wait` cannot work: run uses a subshell, which has no children to wait for.)
wait_container() {
    status=0
    wait "$BG_PID" || status=$?
}

# The pid of a process's child (the container's PID 1, seen from the host).
child_of() {
    local pid=$1
    awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null
}
