#!/usr/bin/env bash
# Part of make bench (scripts/bench.sh): keep exactly COUNT containers running `sleep`,
# so that a start time can be measured with that many containers already there.
#
#   scripts/bench-sleepers.sh DIR COUNT [COMMAND...]
#
# COMMAND starts one container in the foreground and stays its parent while it runs
# (`runt run IMAGE sleep 3600`, `crun run --bundle B ID`); "{}" in it becomes a number
# that is new for every container (crun and runc need a unique id). DIR keeps the pid
# of each such parent. Containers started by another COMMAND are stopped first, and
# COUNT 0 stops all of them. A container is stopped the way its runtime expects it to
# end by itself: SIGKILL to its init (the parent's child), after which the parent
# tears it down and exits. Returns once every container runs `sleep` or is gone, and
# the kernel had a moment (1 s, and 1 s more per 100 containers started or stopped) for
# the work it defers, such as tearing down network namespaces, so that it does not
# weigh on the start that is measured next. Like every timed start in make bench, that
# start then comes after a pause of 0.1 s (see PAUSE in scripts/bench.sh).
set -euo pipefail

# The message goes to DIR/errors too: hyperfine does not show what its --prepare says.
die() {
    {
        echo "bench-sleepers: $*"
        [ ! -s "$dir/log" ] || tail -n 5 "$dir/log" | sed 's/^/bench-sleepers: log: /'
    } | tee -a "${dir:-/dev/null}/errors" >&2
    exit 1
}

dir=${1:-} count=${2:-}
[ $# -ge 2 ] || die "usage: $0 DIR COUNT [COMMAND...]"
shift 2
[[ $count =~ ^[0-9]+$ ]] || die "COUNT must be a number, not '$count'"
[ "$count" = 0 ] || [ $# -gt 0 ] || die "no COMMAND to start $count containers with"
mkdir -p "$dir"
touch "$dir/pids" "$dir/command"
[ -s "$dir/serial" ] || echo 0 >"$dir/serial"

# Starting and stopping hundreds of containers on a busy machine: allow two minutes.
TIMEOUT=120

# A pid that is gone, or a zombie waiting for its reaper, has ended.
alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$state" != Z ]
}

# The container's init: the runtime's only child (runt, crun and runc all fork it).
init_of() {
    pgrep -P "$1" | head -n1
}

running_sleep() {
    local init
    init=$(init_of "$1") || return 1
    [ -n "$init" ] && [ "$(cat "/proc/$init/comm" 2>/dev/null)" = sleep ]
}

# wait_for WHAT TEST PID...: poll until TEST holds for every pid, or give up.
wait_for() {
    local what=$1 test=$2 pid deadline=$((SECONDS + TIMEOUT))
    shift 2
    for pid in "$@"; do
        until "$test" "$pid"; do
            [ "$SECONDS" -lt "$deadline" ] || die "container parent $pid: not $what after ${TIMEOUT}s"
            alive "$pid" || [ "$test" = gone ] || die "container parent $pid exited before it was $what"
            sleep 0.05
        done
    done
}

gone() { ! alive "$1"; }

# stop N: stop the last N containers started.
stop() {
    local pids pid init
    mapfile -t pids < <(tail -n "$1" "$dir/pids")
    for pid in "${pids[@]}"; do
        init=$(init_of "$pid") || true
        if [ -n "$init" ]; then
            kill -KILL "$init" 2>/dev/null || true
        elif alive "$pid"; then
            # No container yet: the runtime itself is the only thing to end.
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    wait_for "stopped" gone "${pids[@]}"
    head -n "-$1" "$dir/pids" >"$dir/pids.new"
    mv "$dir/pids.new" "$dir/pids"
}

# start N: start N more containers with COMMAND, in the background, and wait until they sleep.
start() {
    local i serial pids=() command=("${@:2}")
    serial=$(cat "$dir/serial")
    for ((i = 0; i < $1; i++)); do
        serial=$((serial + 1))
        # The container's output goes to a log, never to whoever waits for this script.
        "${command[@]//\{\}/$serial}" </dev/null >>"$dir/log" 2>&1 &
        pids+=($!)
        echo "$!" >>"$dir/pids"
    done
    echo "$serial" >"$dir/serial"
    wait_for "running sleep" running_sleep "${pids[@]}"
}

now=$(wc -l <"$dir/pids") changed=0
if [ "$now" -gt 0 ] && [ "$(cat "$dir/command")" != "$*" ]; then
    stop "$now"
    changed=$now now=0
fi
[ $# -eq 0 ] || printf '%s\n' "$*" >"$dir/command"
if [ "$now" -gt "$count" ]; then
    stop $((now - count))
elif [ "$now" -lt "$count" ]; then
    start $((count - now)) "$@"
fi
changed=$((changed + (now > count ? now - count : count - now)))
[ "$changed" = 0 ] || sleep $((1 + changed / 100))
sleep 0.1
