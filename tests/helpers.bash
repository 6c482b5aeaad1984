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

# Leak checks look only at what this test made. The machine may run other containers
# (podman, docker, another runt) while the suites run; their mounts, cgroups and processes
# are none of this test's business. What this test made carries one of its marks:
#   - its scratch dir, $SCRATCH: the test's rootfs and state root live there, so runt's
#     mounts name it (an overlay's upperdir, a bind of the rootfs);
#   - its state root, RUNT_ROOT=$SCRATCH/state, exported to runt and so inherited by every
#     runt it starts (and by the containers of stages that pass the environment on);
#   - the ids of its containers: the names under <state root>/containers.

# The cgroup directories where runt creates runt/<id> (v2 root, or each v1 controller).
runt_cgroup_parents() {
    local d
    for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
        d=${d%/}
        [ -d "$d/runt" ] && echo "$d/runt"
    done
    return 0
}

# Mount points that concern this test: any at or below $SCRATCH or naming it (source,
# options), and any on the few host paths where a container's own mounts would land if
# they propagated back (/proc, /dev...), with their type: those are compared before/after.
test_mounts() {
    awk -v s="$SCRATCH" '
        index($0, s) { print $5; next }
        $5 ~ /^\/(proc|sys|dev|dev\/pts|dev\/shm|tmp|run)?$/ { sub(/.* - /, ""); print $0 }
    ' /proc/self/mountinfo | sort
}

# runt/<id> cgroups that exist now, one path per line.
runt_cgroups() {
    runt_cgroup_parents | while read -r p; do find "$p" -mindepth 1 -maxdepth 1 -type d; done | sort
}

# The ids of this test's containers: entries of every state root under $SCRATCH.
test_ids() {
    find "$SCRATCH" -mindepth 3 -maxdepth 3 -path '*/containers/*' -printf '%f\n' 2>/dev/null
    return 0
}

# Pids of processes this test left running: copies of the runt under test carrying this
# test's marks, and, outside the test's own mount namespace, any process carrying them
# (a container: RUNT_ROOT in its environment, its / mounted from under $SCRATCH, or
# $SCRATCH on its command line).
test_processes() {
    local self_mnt runt_exe pid pattern
    self_mnt=$(readlink /proc/self/ns/mnt)
    runt_exe=$(readlink -f "$RUNT")
    # mountinfo field 5 is the mount point; $SCRATCH is matched as a fixed string.
    pattern="^([^ ]+ ){4}/ .*$(printf '%s' "$SCRATCH" | sed 's/[.[\*^$]/\\&/g')"
    {
        grep -lzxF "RUNT_ROOT=$RUNT_ROOT" /proc/[0-9]*/environ 2>/dev/null
        grep -lE "$pattern" /proc/[0-9]*/mountinfo 2>/dev/null
        grep -laF "$SCRATCH" /proc/[0-9]*/cmdline 2>/dev/null
    } | cut -d/ -f3 | sort -un | while read -r pid; do
        [ "$pid" = "$BASHPID" ] && continue
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$runt_exe" ] ||
            { [ -e "/proc/$pid/ns/mnt" ] && [ "$(readlink "/proc/$pid/ns/mnt")" != "$self_mnt" ]; }; then
            echo "$pid"
        fi
    done
    return 0
}

runt_setup() {
    [ "$(id -u)" = 0 ] || skip "runt needs root: run the tests with sudo (sudo make test)"
    [ -x "$RUNT" ] || { echo "no runt binary at $RUNT (run make first)" >&2; return 1; }
    SCRATCH=$(mktemp -d /tmp/runt-test.XXXXXX)
    # Tests never use /var/lib/runt: each gets its own state root, checked empty afterwards.
    export RUNT_ROOT="$SCRATCH/state"
    test_mounts >"$SCRATCH/.mounts"
    runt_cgroups >"$SCRATCH/.cgroups"
    host_devices >"$SCRATCH/.devs"
}

host_devices() { stat -c '%n %u:%g %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | sort; }

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

# New runt/<id> cgroups that are this test's: named after one of its ids, or holding one
# of its processes. (An empty one that names no id of this test may be another runt's,
# caught between its mkdir and its rmdir: the tests that check cgroups go by id.)
leftover_cgroups() {
    local ids procs cg
    ids=$(test_ids)
    procs=$(test_processes)
    while read -r cg; do
        [ -n "$cg" ] || continue
        if grep -qxF "$(basename "$cg")" <<<"$ids" ||
            { [ -n "$procs" ] && grep -qxF -f <(echo "$procs") "$cg/cgroup.procs" 2>/dev/null; }; then
            echo "$cg"
        fi
    done < <(comm -13 "$SCRATCH/.cgroups" <(runt_cgroups))
    return 0
}

# Fail the test if anything of its own outlived it: mounts, cgroups, state, processes.
assert_no_leaks() {
    local leaks
    leaks=$(comm -13 "$SCRATCH/.mounts" <(test_mounts))
    if [ -n "$leaks" ]; then
        echo "leaked mounts: $leaks" >&2
        return 1
    fi
    leaks=$(leftover_cgroups)
    if [ -n "$leaks" ]; then
        echo "leaked cgroups: $leaks" >&2
        return 1
    fi
    if [ -d "$RUNT_ROOT/containers" ] && [ -n "$(ls -A "$RUNT_ROOT/containers")" ]; then
        echo "leaked state: $(ls -A "$RUNT_ROOT/containers")" >&2
        return 1
    fi
    # Containers bind some of these into their /dev (with a user namespace): a chown or
    # chmod through such a bind changes the host's own node.
    leaks=$(comm -13 "$SCRATCH/.devs" <(host_devices))
    if [ -n "$leaks" ]; then
        echo "host device nodes changed: $leaks" >&2
        return 1
    fi
    leaks=$(test_processes)
    if [ -n "$leaks" ]; then
        echo "leaked processes: $(for p in $leaks; do printf '%s (%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)" >&2
        return 1
    fi
}

# After a failed test: its own runt/<id> cgroups go too, once their processes (killed with
# a runt that the test stopped, through PR_SET_PDEATHSIG) are gone. Only what
# leftover_cgroups names, which is this test's.
remove_leftover_cgroups() {
    local cg tries
    while read -r cg; do
        [ -n "$cg" ] || continue
        for tries in 1 2 3 4 5 6 7 8 9 10; do
            rmdir "$cg" 2>/dev/null && break
            sleep 0.2
        done
        [ -d "$cg" ] && echo "could not remove $cg (tried $tries times)" >&2
    done < <(leftover_cgroups)
    return 0
}

runt_teardown() {
    local status=0
    [ -n "${SCRATCH:-}" ] || return 0
    stop_started
    assert_no_leaks || { status=1; remove_leftover_cgroups; }
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

# refuses_empty MESSAGE RUNT-ARGS...: "$RUNT" RUNT-ARGS must fail before it creates
# anything, with MESSAGE as its one line of output and exit status 125.
# shellcheck disable=SC2154 # bats' run sets status and output
refuses_empty() {
    local message=$1
    shift
    run "$RUNT" "$@"
    echo "runt $* -> $status: $output"
    [ "$status" -eq 125 ]
    [ "$output" = "$message" ]
    [ ! -e "$RUNT_ROOT" ]
}
