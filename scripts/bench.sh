#!/usr/bin/env bash
# make bench: what each isolation mechanism costs, and runt against crun, runc and the
# cheapest possible start (a C floor), measured side by side. Shared machines are noisy:
# only figures taken in one hyperfine run, and their ratios, can be compared.
# Benchmarks, not tests: nothing here asserts a time. A command that fails does fail it.
#
#   scripts/bench.sh [--runs N] [--rounds R] [--quick | --profile] [--out DIR]
#
#   --runs N   timing runs per command (default 60, 20 with --quick or --profile);
#              throughput and podman take at most 10, as their commands last long
#   --rounds R split each group's runs into R hyperfine invocations, each with the
#              commands in another order, and take the median of them all (default 1:
#              one invocation). hyperfine runs all runs of one command before the next,
#              so a busy moment weighs on one command only; rounds spread it over all.
#   --quick    only the first table (start to exit) and its plot
#   --profile  instead of timings: where the time of a start goes, system call by system
#              call (strace -T), for the commands of the first table
#   --out DIR  where the tables (results.md) and hyperfine's JSON go (default: .bench/)
#
# Each group of timings is one hyperfine invocation, which pauses 0.1 s before each run
# so that every start is an isolated one (see PAUSE below):
#   1. start to exit of /bin/true in the busybox image: the floor (scripts/bench-floor.c),
#      unshare + chroot, stages 01-07, final, crun and runc (`runc spec` defaults)
#   2. with limits, a user namespace and a volume: final, stage 07 (limits only), crun, runc
#   3. memory: peak RSS (VmHWM) of the process that stays with a running container
#   4. podman run --rm with each runtime, when podman is installed
#   5. flatness: start to exit while 0, 100, 500 `sleep` containers are running
#   6. throughput: N = 1, 10, 50, 100 containers started at once, wall time
# 5 and 6 load the machine themselves, so they come last.
# final/ joins once `final/runt run IMAGE true` works, and podman's table once its OCI
# front door does; until then a line says why it is missing. The plots, docs/performance.png
# and docs/throughput.png, are drawn from this run with gnuplot.
#
# Everything runs in new mount and PID namespaces (unshare): what the benchmark starts
# ends with it, and what it mounts is never seen outside. On a hybrid cgroup host crun
# refuses to run while /sys/fs/cgroup/unified lists a controller, so in that mount
# namespace only, an empty tmpfs covers it; the host's mount table is untouched.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

die() {
    echo "bench: $*" >&2
    exit 1
}
say() { echo "bench: $*"; }

runs="" rounds=1 mode=full out=$repo/.bench
while [ $# -gt 0 ]; do
    case $1 in
    --runs)
        if ! [[ ${2:-} =~ ^[0-9]+$ ]] || [ "$2" -lt 2 ]; then
            die "--runs needs a number, at least 2"
        fi
        runs=$2
        shift 2
        ;;
    --rounds)
        if ! [[ ${2:-} =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then
            die "--rounds needs a number, at least 1"
        fi
        rounds=$2
        shift 2
        ;;
    --quick | --profile) mode=${1#--} && shift ;;
    --out)
        [ -n "${2:-}" ] || die "--out needs a directory"
        out=$(realpath -m "$2")
        shift 2
        ;;
    *) die "usage: $0 [--runs N] [--rounds R] [--quick | --profile] [--out DIR]" ;;
    esac
done
if [ -z "$runs" ]; then
    runs=60
    [ "$mode" = full ] || runs=20
fi
few=$((runs < 10 ? runs : 10))

[ "$(id -u)" = 0 ] || die "must run as root: namespaces, mounts and cgroups (try: sudo make bench)"
tools=(hyperfine jq crun runc gnuplot unshare pgrep)
[ "$mode" != profile ] || tools+=(strace)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh --bench installs it)"
done
image=$repo/images/busybox
[ -x "$image/bin/busybox" ] || die "no image at $image (run: make image)"
[ -x scripts/bench-floor ] || die "scripts/bench-floor is not built (run: make scripts/bench-floor)"
stages=()
for d in [0-9][0-9]-*/; do
    [ -x "$d/runt" ] || die "stage ${d%/} is not built (run: make)"
    stages+=("${d%/}")
done

# Into new namespaces: bash is PID 1 there and reaps every orphan, and when it exits
# the kernel kills whatever is left in the namespace.
if [ "${RUNT_BENCH_INSIDE:-}" != 1 ]; then
    set -- --runs "$runs" --rounds "$rounds" --out "$out"
    [ "$mode" = full ] || set -- "$@" "--$mode"
    RUNT_BENCH_INSIDE=1 exec unshare --mount --propagation private --pid --fork --mount-proc \
        --kill-child bash "$0" "$@"
fi

# --- the private mount namespace, the work directory, the bundles --------------------

# The cgroup2 mount that hide_cgroup2 covered: what runtimes write there is in our tmpfs.
covered=/nonexistent
hide_cgroup2() {
    local unified=/sys/fs/cgroup/unified controllers
    [ "$(stat -f -c %T "$unified" 2>/dev/null)" = cgroup2fs ] || return 0
    controllers=$(cat "$unified/cgroup.controllers")
    [ -n "$controllers" ] || return 0
    umount "$unified"
    # Not just unmounted: crun would leave its cgroup dirs in the host's tmpfs below.
    mount -t tmpfs -o size=16m,mode=0755 runt-bench "$unified"
    covered=$unified
    say "hybrid cgroups: crun refuses to run while $unified lists controllers ($controllers);"
    say "  this run's private mount namespace covers it with an empty tmpfs, so every runtime"
    say "  here uses the v1 controllers only. The host's mounts are untouched."
}

# (Added by the lead.) crun 1.8.1 bind-mounts the host's device nodes into a container
# with a user namespace and then chowns them to the container's root: the host's own
# /dev/null ended up owned by uid 100000, several times, while this benchmark ran. In
# this private mount namespace, /dev becomes a tmpfs with nodes of its own, so whatever
# a runtime does to "/dev/null" here happens to a node nobody else uses.
private_dev() {
    local n name major minor
    mount -t tmpfs -o mode=0755,size=64k runt-bench-dev /dev
    for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        IFS=: read -r name major minor <<<"$n"
        mknod -m 0666 "/dev/$name" c "$major" "$minor"
    done
    mkdir /dev/pts /dev/shm /dev/mqueue
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 runt-bench-pts /dev/pts
    mount -t tmpfs -o mode=1777 runt-bench-shm /dev/shm
    mount -t mqueue runt-bench-mqueue /dev/mqueue
    ln -s pts/ptmx /dev/ptmx
    ln -s /proc/self/fd /dev/fd
    ln -s /proc/self/fd/0 /dev/stdin
    ln -s /proc/self/fd/1 /dev/stdout
    ln -s /proc/self/fd/2 /dev/stderr
}

work="" tag="" podman_up=0
cleanup() {
    local status=$? d
    set +e
    trap - EXIT
    for d in "$work"/sleep-*/; do
        [ -d "$d" ] && bash scripts/bench-sleepers.sh "$d" 0
    done
    [ "$podman_up" = 0 ] || podman_down
    # After a failure: what a runtime that failed left behind (deepest first).
    our_cgroups | sort -r | while read -r d; do rmdir "$d"; done
    [ -z "$work" ] || rm -rf --one-file-system "$work"
    exit "$status"
}
trap cleanup EXIT
# As PID 1, bash ignores these unless it handles them.
trap 'exit 130' INT
trap 'exit 143' TERM

# bundle NAME ARGS FILTER: an OCI bundle from `runc spec`, running ARGS (JSON), on the
# shared rootfs, edited by the jq FILTER ($volume names the volume's host directory).
bundle() {
    mkdir "$work/$1"
    (cd "$work/$1" && runc spec)
    jq --arg root "$work/rootfs" --arg volume "$work/volume" --argjson args "$2" \
        ".root.path = \$root | .process.args = \$args | .process.terminal = false | $3" \
        "$work/$1/config.json" >"$work/$1/config.new"
    mv "$work/$1/config.new" "$work/$1/config.json"
}

# The cgroup dirs of this run's containers that still exist: crun and runc name them by
# container id, which starts with $tag; runt -v logs each id it gives a sleep container.
our_cgroups() {
    local ids
    [ -n "$tag" ] || return 0
    ids=$(cat "$work"/sleep-*/log 2>/dev/null | sed -n 's/^=> container //p' | tr '\n' ' ')
    find /sys/fs/cgroup/ -mindepth 1 -maxdepth 3 -type d ! -path "$covered/*" -printf '%f %p\n' |
        awk -v tag="$tag" -v ids="$ids" '
            BEGIN { n = split(ids, list, " "); for (i = 1; i <= n; i++) id[list[i]] }
            $1 in id || index($1, tag) == 1 { print $2 }'
}

prepare_work() {
    work=$(mktemp -d /tmp/runt-bench.XXXXXX)
    # crun's and runc's container ids start with it: never those of another run.
    tag=bench-${work##*.}
    # Searchable by all: in a user namespace, container root is an unprivileged host user.
    chmod 755 "$work"
    mkdir -p "$out"
    # Copies: stage 03 pivots straight into its image, and nothing here may change the repo's.
    # /data is the volume's mount point, in every copy (a read-only root cannot get one).
    cp -a "$image" "$work/image"
    mkdir "$work/image/data" "$work/volume" "$work/state"
    cp -a "$work/image" "$work/rootfs"
    export RUNT_ROOT=$work/state
    crun=(crun --root "$work/crun")
    runc=(runc --root "$work/runc")
    bundle bundle '["/bin/true"]' .
    bundle bundle-sleep '["sleep", "3600"]' .
    # The same as `runt run --memory 64M --pids 64 --userns --volume VOLUME:/data`.
    # shellcheck disable=SC2016 # $volume is jq's
    bundle bundle-options '["/bin/true"]' '
        .linux.resources.memory = {limit: 67108864}
        | .linux.resources.pids = {limit: 64}
        | .linux.namespaces += [{type: "user"}]
        | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
        | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
        | .mounts += [{destination: "/data", type: "bind", source: $volume,
                       options: ["rbind", "rw", "nosuid", "nodev"]}]'
}

# --- running one group ---------------------------------------------------------------

names=() labels=() commands=() prepares=() before=""

# add NAME LABEL COMMAND...: a command of the next group, run once now so that a broken
# one stops the benchmark with its own message, not hyperfine's "non-zero exit code".
add() {
    local name=$1 label=$2 quoted err
    shift 2
    # The load average of the group: before its commands run, here or under hyperfine.
    [ ${#names[@]} -gt 0 ] || before=$(loadavg)
    if ! err=$("$@" 2>&1 </dev/null >/dev/null); then
        die "$label failed: $* -> ${err:-exit status $?}"
    fi
    printf -v quoted '%q ' "$@"
    names+=("$name") labels+=("$label") commands+=("${quoted% }")
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Every timed run comes after a pause, so that each start is an isolated one, as when a
# user starts a container. Back to back, starts share work that an isolated start must
# do alone: moving a process into a cgroup waits for an RCU grace period (about 10 ms
# here), and a start that follows another within a few milliseconds skips that wait.
PAUSE=0.1

# measure ID TITLE RUNS: the commands added since the last group, in one hyperfine
# invocation, or in one per round (see --rounds), whose JSON is then merged into one.
measure() {
    local id=$1 title=$2 n=$3 r=$rounds k=${#names[@]} per round i j args after how
    # A group with --prepare commands of its own (options, flatness) runs in one round.
    [ -z "${prepares[*]}" ] || r=1
    per=$(((n + r - 1) / r))
    how="$n runs per command"
    [ "$r" = 1 ] || how="$((per * r)) runs per command, in $r rounds of $per"
    say "$id. $title: $k commands, $how (load average $before) ..."
    for ((round = 0; round < r; round++)); do
        args=()
        # A --prepare of our own (flatness) pauses itself.
        [ -n "${prepares[*]}" ] || args+=(--prepare "sleep $PAUSE")
        for ((j = 0; j < k; j++)); do
            i=$(((j + round) % k))
            [ -z "${prepares[i]:-}" ] || args+=(--prepare "${prepares[i]}")
            args+=(--command-name "${names[i]}" "${commands[i]}")
        done
        if ! hyperfine -N --style none --runs "$per" --warmup $((per < 3 ? 1 : 3)) \
            --export-json "$work/round-$round.json" "${args[@]}" >/dev/null; then
            cat "$work"/sleep-*/errors 2>/dev/null >&2 || true
            # hyperfine does not say which command failed: run each once more, and show it.
            for ((j = 0; j < k; j++)); do
                eval "${commands[j]}" </dev/null >/dev/null 2>"$work/failed" ||
                    say "${labels[j]}: exit $?: $(head -n1 "$work/failed")"
            done
            die "$id. $title: hyperfine failed"
        fi
    done
    merge_rounds "$r" >"$out/$id.json"
    after=$(loadavg)
    {
        echo
        echo "### $id. $title"
        echo
        echo "$how, each after a pause of ${PAUSE}s; load average before $before, after $after."
        loaded "$before" "$after"
    } | tee -a "$out/results.md"
    for i in "${!names[@]}"; do
        printf '%s\t%s\n' "${names[i]}" "${labels[i]}"
    done >"$work/labels"
    names=() labels=() commands=() prepares=()
}

# merge_rounds R: hyperfine's JSON of R rounds as one, the commands in the first round's
# order, each with all its times and their median, mean, min and max.
merge_rounds() {
    local r
    if [ "$1" = 1 ]; then
        cat "$work/round-0.json"
        return
    fi
    for ((r = 0; r < $1; r++)); do cat "$work/round-$r.json"; done | jq -s '
        (.[0].results | map(.command)) as $order
        | [.[].results[]] as $all
        | {results: [$order[] as $c
            | {command: $c, times: ([$all[] | select(.command == $c) | .times[]] | sort)}
            | .median = (.times | if length % 2 == 1 then .[(length - 1) / 2]
                                  else (.[length / 2 - 1] + .[length / 2]) / 2 end)
            | .mean = (.times | add / length) | .min = .times[0] | .max = .times[-1]]}'
}

# A load average above half the CPUs before a group means others were running: repeat it
# before quoting it. After groups 4 to 6 (podman, flatness, throughput) the load average,
# which takes a minute to fall, is mostly this benchmark's own.
self_loaded=0
loaded() {
    local half
    half=$(($(nproc) / 2))
    [ "$half" -gt 0 ] || half=1
    if [ "$self_loaded" = 1 ]; then
        echo "(The load average before this group is mostly the group before it.)"
    elif awk -v a="${1%% *}" -v h="$half" 'BEGIN { exit !(a > h) }'; then
        echo
        echo "**The machine was busy (load average above $half): repeat this before quoting it.**"
    fi
}

# table ID [FLOOR] CRUN: one row per command of group ID: its median, and its ratios to
# the medians of the commands named FLOOR (when given) and CRUN.
table() {
    jq -r '.results[] | [.command, .median] | @tsv' "$out/$1.json" |
        awk -F'\t' -v floor="$2" -v crun="$3" '
        FILENAME == ARGV[1] { label[$1] = $2; next }
        { name[++n] = $1; median[$1] = $2 * 1000 }
        END {
            print ""
            printf "| command | median |%s vs crun |\n", floor != "" ? " vs floor |" : ""
            printf "|---|--:|%s--:|\n", floor != "" ? "--:|" : ""
            for (i = 1; i <= n; i++) {
                m = median[name[i]]
                f = floor != "" ? sprintf(" %.2f |", m / median[floor]) : ""
                printf "| %s | %.1f ms |%s %.2f |\n", label[name[i]], m, f, m / median[crun]
            }
        }' "$work/labels" - | tee -a "$out/results.md"
}

# grid ID HEAD ROW COLUMN [each]: groups 5 and 6, whose command names are "RUNTIME N": one
# row per N, one column per runtime, each median with its ratio to the median of runtime
# COLUMN in the same row (throughput: crun's), or else of N = ROW in the same column
# (flatness: none running); "each" adds the median divided by N.
grid() {
    jq -r '.results[] | [.command, .median] | @tsv' "$out/$1.json" |
        awk -F'\t' -v head="$2" -v rowref="$3" -v colref="$4" -v unit="$5" '
        {
            split($1, part, " "); r = part[1]; p = part[2]
            if (!(r in seen)) { seen[r]; rt[++nr] = r }
            if (!(p in seenp)) { seenp[p]; par[++np] = p }
            m[r, p] = $2 * 1000
        }
        END {
            printf "\n| %s |", head
            for (j = 1; j <= nr; j++) printf " %s |", rt[j]
            printf "\n|--:|"
            for (j = 1; j <= nr; j++) printf "--:|"
            print ""
            for (i = 1; i <= np; i++) {
                printf "| %s |", par[i]
                for (j = 1; j <= nr; j++) {
                    v = m[rt[j], par[i]]
                    ref = colref != "" ? m[colref, par[i]] : m[rt[j], rowref]
                    extra = unit != "" ? sprintf(", %.1f ms each", v / par[i]) : ""
                    printf " %.1f ms (%.2f%s) |", v, v / ref, extra
                }
                print ""
            }
        }' | tee -a "$out/results.md"
}

# The runtimes as their --version calls them.
version() { "$1" --version | head -n1 | sed 's/ version / /'; }

# --- final/ --------------------------------------------------------------------------

final="" final_why="final/runt is not built yet"
check_final() {
    local err
    [ -x final/runt ] || return 0
    if err=$(final/runt run "$work/image" /bin/true 2>&1 </dev/null); then
        final=$repo/final/runt
    else
        final_why="final/runt run IMAGE /bin/true failed: $(head -n1 <<<"$err")"
    fi
}
note_final() { [ -n "$final" ] || say "$1: no final/ ($final_why)"; }

# runts: stage 07 (the last stage), and final when it works.
runts() {
    echo "${stages[-1]}"
    [ -z "$final" ] || echo final
}
runt_of() { if [ "$1" = final ]; then echo "$final"; else echo "$repo/$1/runt"; fi; }

# --- 1. start to exit ----------------------------------------------------------------

# each_start FUNCTION: FUNCTION NAME LABEL COMMAND... for each command of the first table.
each_start() {
    local s runt add=$1
    $add floor "floor: clone with 5 namespaces, chroot, exec, wait (scripts/bench-floor)" \
        scripts/bench-floor "$work/image" /bin/true
    # shellcheck disable=SC2016 # Markdown's backquotes
    $add unshare '`unshare --fork --pid --mount --uts --ipc --net chroot IMG /bin/true`' \
        unshare --fork --pid --mount --uts --ipc --net chroot "$work/image" /bin/true
    for s in "${stages[@]}"; do
        runt=$repo/$s/runt
        case $s in
        # Stages 01 and 02 have no root filesystem yet: they run the image's busybox from outside.
        01-* | 02-*) $add "$s" "stage $s" "$runt" run "$work/image/bin/true" ;;
        *) $add "$s" "stage $s" "$runt" run "$work/image" /bin/true ;;
        esac
    done
    [ -z "$final" ] || $add final "final/runt" "$final" run "$work/image" /bin/true
    $add crun "$(version crun) (\`runc spec\` defaults)" \
        "${crun[@]}" run --bundle "$work/bundle" "$tag"
    $add runc "$(version runc) (\`runc spec\` defaults)" \
        "${runc[@]}" run --bundle "$work/bundle" "$tag"
}

start_to_exit() {
    note_final "start to exit"
    each_start add
    measure 1 "start to exit of /bin/true, median" "$runs"
    table 1 floor crun
    increments
    plot_start
}

# One line per stage: what it costs more than the one before it (final: than stage 07).
increments() {
    jq -r '.results[] | [.command, .median] | @tsv' "$out/1.json" |
        awk -F'\t' '
        $1 ~ /^[0-9][0-9]-/ || $1 == "final" {
            ms = $2 * 1000
            if (prev != "") {
                d = ms - prev_ms
                printf "- %s costs about %.1f ms %s than %s\n", $1, d < 0 ? -d : d,
                    d < 0 ? "less" : "more", prev
            }
            prev = $1
            prev_ms = ms
        }' | { echo; cat; } | tee -a "$out/results.md"
}

plot_start() {
    jq -r '.results[] | [.command, .median * 1000,
              (.times | sort | .[(length / 4 | floor)] * 1000),
              (.times | sort | .[(length * 3 / 4 | floor)] * 1000)] | @tsv' "$out/1.json" |
        awk -F'\t' '{ c = $1 ~ /^(floor|unshare)$/ ? 1 : $1 ~ /^[0-9]/ ? 2 : $1 == "final" ? 3 : 4
                      print $1 "\t" $2 "\t" $3 "\t" $4 "\t" c }' >"$out/1.dat"
    gnuplot <<EOF
set terminal pngcairo size 900,500 font "DejaVu Sans,10"
set output "$repo/docs/performance.png"
set title "Start to exit of /bin/true in the busybox image (median, bars: middle half of $runs runs)"
set ylabel "milliseconds"
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by -30 left noenhanced
set yrange [0:*]
set grid ytics
unset key
plot "$out/1.dat" using 0:2:(0.7):5:xtic(1) with boxes lc variable, \
     "" using 0:2:3:4 with yerrorbars lc rgb "black" pointsize 0, \
     "" using 0:4:(sprintf("%.1f", \$2)) with labels offset 0,0.7 font ",8"
EOF
    say "plot: docs/performance.png"
}

# --- 2. with options -----------------------------------------------------------------

with_options() {
    local err i
    add "${stages[-1]}" "stage ${stages[-1]} --memory 64M --pids 64 (no --userns or volumes yet)" \
        "$repo/${stages[-1]}/runt" run --memory 64M --pids 64 "$work/image" /bin/true
    if [ -n "$final" ]; then
        if err=$("$final" run --memory 64M --pids 64 --userns --volume "$work/volume:/data" \
            "$work/image" /bin/true 2>&1 </dev/null); then
            add final "final/runt --memory 64M --pids 64 --userns --volume" "$final" run \
                --memory 64M --pids 64 --userns --volume "$work/volume:/data" "$work/image" /bin/true
        else
            say "with options: final/runt refused them: $(head -n1 <<<"$err")"
        fi
    else
        note_final "with options"
    fi
    add crun "$(version crun), the same limits, user namespace and volume" \
        "${crun[@]}" run --bundle "$work/bundle-options" "$tag"
    add runc "$(version runc), the same" \
        "${runc[@]}" run --bundle "$work/bundle-options" "$tag"
    # In a user namespace, crun and runc bind this /dev's nodes (private_dev's) into the
    # container and chown them to its root; final then refuses to start (a node owned by a
    # uid the container maps is one it could change). Each run starts with them root's.
    for i in "${!names[@]}"; do
        prepares[i]="sh -c 'chown 0:0 /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty && sleep $PAUSE'"
    done
    measure 2 "with --memory, --pids, --userns and a volume, median" "$runs"
    table 2 "" crun
}

# --- 3. throughput -------------------------------------------------------------------

throughput() {
    local r n
    note_final "throughput"
    for r in $(runts) crun; do
        for n in 1 10 50 100; do
            if [ "$r" = crun ]; then
                add "crun $n" "crun, $n at once" bash scripts/bench-together.sh "$n" \
                    "${crun[@]}" run --bundle "$work/bundle" "$tag-{}"
            else
                add "$r $n" "$r, $n at once" bash scripts/bench-together.sh "$n" \
                    "$(runt_of "$r")" run "$work/image" /bin/true
            fi
        done
    done
    measure 6 "throughput: N containers started at once, wall time until all have exited" "$few"
    grid 6 "N" "" crun each
    echo "(in brackets: the ratio to crun's time for the same N, and the time per container)" |
        tee -a "$out/results.md"
    plot_throughput
}

plot_throughput() {
    local cols
    cols=$(jq -r '[.results[] | .command | split(" ")[0]] | unique | join(" ")' "$out/6.json")
    jq -r '.results[] | (.command | split(" ")) + [.median * 1000 | tostring] | @tsv' "$out/6.json" \
        >"$out/6.dat"
    gnuplot <<EOF
set terminal pngcairo size 700,450 font "DejaVu Sans,10"
set output "$repo/docs/throughput.png"
set title "N containers started at once on $(nproc) CPUs: wall time (median of $few runs)"
set xlabel "containers started at once"
set ylabel "milliseconds until all have exited"
set key top left noenhanced
set grid
plot for [r in "$cols"] "< awk -v r=" . r . " '\$1 == r' $out/6.dat" using 2:3 with linespoints title r
EOF
    say "plot: docs/throughput.png"
}

# --- 4. flatness ---------------------------------------------------------------------

flatness() {
    local r k start sleeper quoted
    note_final "flatness"
    for r in $(runts) crun; do
        for k in 0 100 500; do
            if [ "$r" = crun ]; then
                start=("${crun[@]}" run --bundle "$work/bundle" "$tag")
                sleeper=("${crun[@]}" run --bundle "$work/bundle-sleep" "$tag-sleep-{}")
            else
                start=("$(runt_of "$r")" run "$work/image" /bin/true)
                # -v: the log then names each container (see our_cgroups).
                sleeper=("$(runt_of "$r")" run -v "$work/image" sleep 3600)
            fi
            add "$r $k" "$r with $k running" "${start[@]}"
            printf -v quoted '%q ' bash scripts/bench-sleepers.sh "$work/sleep-flat" "$k" \
                "${sleeper[@]}"
            prepares[${#names[@]} - 1]=${quoted% }
        done
    done
    measure 5 "flatness: start to exit while N containers run \`sleep\`, median" "$runs"
    self_loaded=1
    grid 5 "running" 0 "" ""
    echo "(in brackets: the ratio to the same runtime's time with none running)" |
        tee -a "$out/results.md"
    bash scripts/bench-sleepers.sh "$work/sleep-flat" 0
    check_clean flatness
}

# After the sleep containers are stopped: no process, state or cgroup of theirs is left.
# (In this PID namespace, every process is this benchmark's.)
check_clean() {
    local left
    left=$(pgrep -x sleep || true)
    [ -z "$left" ] || die "$1: sleep containers still running after they were stopped: $left"
    [ -z "$(ls -A "$RUNT_ROOT/containers" 2>/dev/null)" ] || die "$1: runt left state in $RUNT_ROOT"
    [ -z "$("${crun[@]}" list -q)" ] || die "$1: crun left containers in $work/crun"
    [ -z "$("${runc[@]}" list -q)" ] || die "$1: runc left containers in $work/runc"
    left=$(our_cgroups)
    [ -z "$left" ] || die "$1: cgroups left behind: $left"
    say "$1: every container stopped; no process, state or cgroup of theirs is left"
}

# --- 5. memory -----------------------------------------------------------------------

# peak_rss COMMAND...: start a `sleep` container with COMMAND, which stays its parent, and
# print that parent's peak RSS (VmHWM, KiB) while the container runs; the largest of three.
peak_rss() {
    local dir=$work/sleep-memory i kib max=0
    for i in 1 2 3; do
        bash scripts/bench-sleepers.sh "$dir" 1 "$@"
        kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$dir/pids")/status")
        bash scripts/bench-sleepers.sh "$dir" 0
        [ "$kib" -le "$max" ] || max=$kib
    done
    echo "$max"
}

# conmon_rss: the same for conmon, which stays with a podman container (crun has exited).
conmon_rss() {
    local i id kib max=0
    for i in 1 2 3; do
        id=$("${podman[@]}" run -d "${podman_opts[@]}" --runtime "$(command -v crun)" \
            --rootfs "$work/podman/rootfs" sleep 3600)
        kib=$(awk '/^VmHWM:/ { print $2 }' \
            "/proc/$("${podman[@]}" inspect --format '{{.State.ConmonPid}}' "$id")/status")
        "${podman[@]}" rm -f -t 0 "$id" >/dev/null
        [ "$kib" -le "$max" ] || max=$kib
    done
    echo "$max"
}

memory() {
    local r before rows=()
    note_final "memory"
    before=$(loadavg)
    say "3. memory: peak RSS of what stays with a running container ..."
    for r in $(runts); do
        rows+=("$r: the runt parent|$(peak_rss "$(runt_of "$r")" run "$work/image" sleep 3600)")
    done
    rows+=("$(version crun): \`crun run\`|$(peak_rss "${crun[@]}" run \
        --bundle "$work/bundle-sleep" "$tag-{}")")
    rows+=("$(version runc): \`runc run\`|$(peak_rss "${runc[@]}" run \
        --bundle "$work/bundle-sleep" "$tag-{}")")
    if [ "$podman_up" = 1 ]; then
        rows+=("$(version conmon) under podman (crun has exited)|$(conmon_rss)")
    else
        say "memory: no podman here, so no conmon"
    fi
    check_clean memory
    {
        echo
        echo "### 3. memory: peak RSS (VmHWM) of the process that stays with a running container"
        echo
        echo "The largest of three containers; load average before $before, after $(loadavg)."
        echo
        echo "| process | VmHWM |"
        echo "|---|--:|"
        printf '%s\n' "${rows[@]}" | awk -F'|' '{ printf "| %s | %.2f MiB |\n", $1, $2 / 1024 }'
    } | tee -a "$out/results.md"
    # For goals: "final: the runt parent|KiB" -> "final<TAB>KiB".
    printf '%s\n' "${rows[@]}" | sed 's/:[^|]*|/\t/' >"$out/3.tsv"
}

# --- 6. podman -----------------------------------------------------------------------

podman=()
# For every runtime: crun and runc refuse podman's default RLIMIT_NOFILE of 1048576 on
# hosts whose hard limit is lower; no network, so that none is set up.
podman_opts=(--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

# A podman of its own: storage, state and configuration in the work directory.
podman_setup() {
    local p=$work/podman
    if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
        say "podman: not installed, so no podman table and no conmon figure"
        return 0
    fi
    mkdir -p "$p"/{root,runroot,tmp,networks,volumes}
    # podman, conmon and the runtimes they call keep state under /run: a tmpfs of this
    # mount namespace takes it, and it is gone when the benchmark ends.
    mount -t tmpfs -o mode=0755 runt-bench-run /run
    cat >"$p/containers.conf" <<CONF
[engine]
tmp_dir = "$p/tmp"
volume_path = "$p/volumes"
events_logger = "none"
cgroup_manager = "cgroupfs"
[network]
network_backend = "cni"
network_config_dir = "$p/networks"
CONF
    export CONTAINERS_CONF=$p/containers.conf
    podman=(podman --root "$p/root" --runroot "$p/runroot" --storage-driver vfs)
    cp -a "$work/image" "$p/rootfs"
    # The cgroup dirs podman makes for conmon and each container (cgroupfs manager).
    podman_cgroups >"$p/cgroups.before"
    podman_up=1
}

podman_cgroups() {
    find /sys/fs/cgroup/ -mindepth 1 -maxdepth 3 -type d -path "*/libpod_parent*" \
        ! -path "$covered/*" | sort
}

# Remove what podman made here: its containers, and the cgroup dirs that were not there
# before (deepest first; one that another podman uses in the meantime stays).
podman_down() {
    local p=$work/podman d leaked
    podman_up=0
    "${podman[@]}" rm -af -t 0 >/dev/null 2>&1
    leaked=$(podman_cgroups | comm -13 "$p/cgroups.before" - | grep '/libpod-' || true)
    [ -z "$leaked" ] || say "podman: container cgroups left behind, now removed: $leaked"
    podman_cgroups | comm -13 "$p/cgroups.before" - | sort -r | while read -r d; do
        rmdir "$d" 2>/dev/null || true
    done
    umount /run
}

under_podman() {
    local r err
    for r in crun runc; do
        add "podman $r" "podman run --rm, $(version "$r")" "${podman[@]}" run --rm "${podman_opts[@]}" \
            --runtime "$(command -v "$r")" --rootfs "$work/podman/rootfs" /bin/true
    done
    if [ -z "$final" ]; then
        note_final "podman"
    elif err=$("${podman[@]}" run --rm "${podman_opts[@]}" --runtime "$final" \
        --rootfs "$work/podman/rootfs" /bin/true 2>&1 </dev/null); then
        add "podman final" "podman run --rm, final/runt" "${podman[@]}" run --rm "${podman_opts[@]}" \
            --runtime "$final" --rootfs "$work/podman/rootfs" /bin/true
    else
        say "podman: no final/ (its OCI front door does not work yet: $(head -n1 <<<"$err"))"
    fi
    measure 4 "podman run --rm /bin/true, median" "$few"
    self_loaded=1
    table 4 "" "podman crun"
}

# --- final's goals (issue 14) ---------------------------------------------------------

# median ID NAME: the median, in ms, of command NAME in group ID.
median() {
    jq -r --arg name "$2" '.results[] | select(.command == $name) | .median * 1000' "$out/$1.json"
}

# goal TEXT VALUE LIMIT UNIT: one row, "yes" when VALUE <= LIMIT.
goal() {
    awk -v text="$1" -v v="$2" -v limit="$3" -v unit="$4" 'BEGIN {
        printf "| %s | %.2f%s | %s |\n", text, v, unit, v <= limit ? "yes" : "**no**" }'
}

goals() {
    local f=final
    if [ -z "$final" ]; then
        say "goals: not measured ($final_why)"
        return 0
    fi
    {
        echo
        echo "### final/'s goals (issue 14), from the tables above"
        echo
        echo "| goal | measured | met |"
        echo "|---|--:|:-:|"
        goal "start to exit at most 2.0x the C floor" \
            "$(awk -v a="$(median 1 $f)" -v b="$(median 1 floor)" 'BEGIN { print a / b }')" 2.0 x
        goal "start to exit at most 0.5x crun" \
            "$(awk -v a="$(median 1 $f)" -v b="$(median 1 crun)" 'BEGIN { print a / b }')" 0.5 x
        goal "100 started at once: faster than crun (ratio below 1)" \
            "$(awk -v a="$(median 6 "$f 100")" -v b="$(median 6 "crun 100")" 'BEGIN { print a / b }')" 0.999 x
        goal "with 500 running: at most 1.2x the start with none" \
            "$(awk -v a="$(median 5 "$f 500")" -v b="$(median 5 "$f 0")" 'BEGIN { print a / b }')" 1.2 x
        goal "parent's peak RSS at most 1.5 MiB" \
            "$(awk -F'\t' -v f=$f '$1 == f { print $2 / 1024 }' "$out/3.tsv")" 1.5 " MiB"
    } | tee -a "$out/results.md"
}

# --- --profile: where the time of a start goes ----------------------------------------

# The kinds of time, in the order of the profile's rows.
KINDS=("clone, namespaces" mounts cgroups "state dir" capabilities seccomp "network (lo)"
    execve "other calls" "container exit" "wall time under strace")

# kinds_of_calls: read one process's `strace -r -T -y` output, print "KIND MS" per system
# call. Calls that wait for another process (wait4, reading a pipe) are left out: their
# time is that process's. For the container (ROLE=container), "container exit" is the time
# from its exit_group to its end: the kernel tearing down its namespaces and mounts.
kinds_of_calls() {
    awk -v role="$1" -v work="$work" '
        /[+][+][+] exited/ { if (role == "container") print "container exit\t" $1 * 1000; next }
        !match($0, /<[0-9.]+>$/) { next }
        {
            ms = substr($0, RSTART + 1, RLENGTH - 2) * 1000
            call = $2
            sub(/[(].*/, "", call)
            if (call ~ /^(wait4|waitid|poll|ppoll|pselect6|epoll_wait|epoll_pwait|futex)$/ ||
                call ~ /^(clock_nanosleep|nanosleep|rt_sigsuspend|rt_sigtimedwait|pause)$/ ||
                (call ~ /^(read|recvmsg|recvfrom)$/ && $0 ~ /[(][0-9]+<(pipe|socket|UNIX)/))
                next
            if (index($0, "/sys/fs/cgroup"))
                kind = "cgroups"
            else if (call ~ /^(mount|umount2|pivot_root|move_mount|open_tree|fsopen|fsmount|fsconfig|mount_setattr)$/)
                kind = "mounts"
            else if (call ~ /^(clone|clone3|unshare|setns|fork|vfork)$/)
                kind = "clone, namespaces"
            else if (call == "execve")
                kind = "execve"
            else if (index($0, work "/state") || index($0, work "/crun") || index($0, work "/runc"))
                kind = "state dir"
            else if (call == "seccomp" || index($0, "PR_SET_SECCOMP"))
                kind = "seccomp"
            else if (call == "capset" || $0 ~ /PR_CAPBSET|PR_CAP_AMBIENT|PR_SET_NO_NEW_PRIVS|PR_SET_KEEPCAPS/)
                kind = "capabilities"
            else if (call == "socket" || index($0, "SIOC"))
                kind = "network (lo)"
            else
                kind = "other calls"
            print kind "\t" ms
        }'
}

# profile_one NAME LABEL COMMAND...: RUNS straced runs; "NAME<TAB>KIND<TAB>MEDIAN MS" lines.
profile_one() {
    local name=$1 run dir f role start end
    shift 2
    for ((run = 1; run <= runs; run++)); do
        dir=$work/profile/$name/$run
        mkdir -p "$dir"
        sleep "$PAUSE"
        start=$(date +%s%N)
        # -ff: one file per process, so that no call is split across lines.
        strace -ff -r -T -y -o "$dir/trace" "$@" </dev/null >/dev/null 2>"$dir/stderr" ||
            die "$name failed under strace: $(head -n1 "$dir/stderr")"
        end=$(date +%s%N)
        awk -v run="$run" -v ns=$((end - start)) \
            'BEGIN { printf "%s\twall time under strace\t%.3f\n", run, ns / 1e6 }'
        for f in "$dir"/trace.*; do
            # The container is the process that ends up running /bin/true.
            role=runtime
            ! grep -q 'execve("[^"]*/bin/true", .*= 0 <' "$f" || role=container
            kinds_of_calls "$role" <"$f" | sed "s/^/$run\t/"
        done
    done | awk -F'\t' -v name="$name" -v runs="$runs" '
        { sum[$2, $1] += $3; kinds[$2] }
        END {
            for (k in kinds) {
                for (r = 1; r <= runs; r++) v[r] = sum[k, r] + 0
                for (i = 2; i <= runs; i++)            # insertion sort: runs is small
                    for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
                m = runs % 2 ? v[(runs + 1) / 2] : (v[runs / 2] + v[runs / 2 + 1]) / 2
                printf "%s\t%s\t%.2f\n", name, k, m
            }
        }' >>"$work/profile.tsv"
}

# Why a start's processes were blocked in the kernel, in the order of the second table's
# rows. Each is the first match, in a callchain where a process went to sleep, of a pattern.
REASONS=(
    "moving into a cgroup: an RCU grace period|rcu_sync_enter"
    "umount: an expedited RCU grace period|synchronize_rcu_expedited <- namespace_unlock <- path_umount"
    "container exit: unmounting the overlay syncs its upper fs|ovl_sync_fs|sync_filesystem|wb_wait_for_completion|filemap_fdatawait|blkdev_issue_flush"
    "container exit: tearing down the mount namespace|free_nsproxy|put_mnt_ns"
    "ext4 discard of freed blocks (rmdir, unlink)|blkdev_issue_discard"
    "other RCU grace periods|synchronize_rcu"
    "reading files from disk|io_schedule|filemap_fault|folio_wait"
    "runnable, waiting for a CPU|exit_to_user_mode|irqentry_exit|__cond_resched|preempt_schedule"
    "other|"
)

# blocked_one NAME LABEL COMMAND...: RUNS runs under `perf sched record -g`; for each
# reason, the time per start that the command's processes spent blocked for it.
blocked_one() {
    local name=$1 quoted reasons
    shift 2
    printf -v quoted '%q ' "$@"
    # Recording is system-wide, but in this PID namespace other processes show as pid 0.
    perf sched record -q -g -o "$work/perf.data" -- bash -c "for ((i = 0; i < $runs; i++)); do
            sleep $PAUSE; $quoted </dev/null >/dev/null 2>&1 || exit 1; done" >/dev/null 2>&1 ||
        die "$name failed under perf sched record"
    printf -v reasons '%s\n' "${REASONS[@]}"
    # timehist: one line per time a task was switched out: its wait before this run, and
    # the callchain where it stopped running. So a wait's reason is on the task's line before.
    perf sched timehist -g -i "$work/perf.data" 2>/dev/null | awk -v name="$name" -v runs="$runs" \
        -v reasons="$reasons" '
        BEGIN {
            n = split(reasons, r, "\n")
            for (i = 1; i <= n; i++) { label[i] = r[i]; sub(/[|].*/, "", label[i]); pat[i] = r[i]; sub(/^[^|]*[|]/, "", pat[i]) }
        }
        # Tasks "comm[tid]" or "comm[tid/pid]"; pid 0 is a process outside this namespace.
        $3 !~ /\[[1-9][0-9]*(\/[0-9]+)?\]$/ || $3 ~ /^(bash|sleep|perf|perf-exec)\[/ { next }
        {
            tid = $3
            sub(/.*\[/, "", tid)
            if (tid in why && why[tid] != "") blocked[why[tid]] += $4
            # Waiting for another process or thread is that one'"'"'s time, counted there.
            why[tid] = ""
            if ($0 ~ /do_wait|pipe_read|futex|epoll_wait|sock_read_iter|sock_recvmsg|sched_yield/ ||
                $0 ~ /do_task_dead|do_nanosleep|do_sigtimedwait|sigsuspend/)
                next
            for (i = 1; i <= n; i++)
                if (label[i] != "" && (pat[i] == "" || $0 ~ pat[i])) { why[tid] = label[i]; break }
        }
        END { for (k in blocked) printf "%s\t%s\t%.2f\n", name, k, blocked[k] / runs }' \
        >>"$work/blocked.tsv"
    rm -f "$work/perf.data"
}

# pivot TSV ROW...: "COLUMN<TAB>ROW<TAB>MS" lines as a table, the rows in the order given.
pivot() {
    local tsv=$1 rows
    shift
    printf -v rows '%s\n' "$@"
    awk -F'\t' -v rows="$rows" '
        BEGIN { n = split(rows, order, "\n") }
        !($1 in seen) { seen[$1]; col[++nc] = $1 }
        { ms[$1, $2] = $3 }
        END {
            printf "\n| |"
            for (j = 1; j <= nc; j++) printf " %s |", col[j]
            printf "\n|---|"
            for (j = 1; j <= nc; j++) printf "--:|"
            print ""
            for (i = 1; i <= n; i++) {
                if (order[i] == "") continue
                printf "| %s |", order[i]
                for (j = 1; j <= nc; j++) printf " %.1f |", ms[col[j], order[i]]
                print ""
            }
        }' "$tsv"
}

profile() {
    local before reason labels=()
    note_final "profile"
    before=$(loadavg)
    say "profile: where the time goes, $runs straced runs of each command (load average $before) ..."
    mkdir -p "$work/profile"
    each_start profile_one
    {
        echo
        echo "### Where the time of a start goes: median milliseconds inside each kind of system call"
        echo
        echo "$runs runs of each under \`strace -ff -r -T -y\`, which slows every call down: compare"
        echo "rows and columns, not these totals with the timings. Load average before $before, after"
        echo "$(loadavg). Left out: time spent waiting for another process (wait4, reading a pipe)."
        pivot "$work/profile.tsv" "${KINDS[@]}"
    } | tee -a "$out/results.md"
    if ! command -v perf >/dev/null; then
        say "profile: no perf here (Debian: linux-perf), so no table of why starts block"
        return 0
    fi
    before=$(loadavg)
    say "profile: why a start blocks in the kernel, perf over $runs runs of each (load average $before) ..."
    each_start blocked_one
    for reason in "${REASONS[@]}"; do labels+=("${reason%%|*}"); done
    {
        echo
        echo "### Why a start waits: milliseconds per start that its processes spent blocked, by reason"
        echo
        echo "$runs runs of each, each after a pause of ${PAUSE}s, under \`perf sched record -g\`; the"
        echo "reason is the kernel callchain where a process went to sleep (\`perf sched timehist -g\`)."
        echo "Left out: waiting for another process or thread. Load average before $before, after $(loadavg)."
        pivot "$work/blocked.tsv" "${labels[@]}"
    } | tee -a "$out/results.md"
}

# --- the run -------------------------------------------------------------------------

cgroup_mode() {
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo v2; else echo v1; fi
}

private_dev
hide_cgroup2
prepare_work
check_final
{
    echo "## make bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "\`scripts/bench.sh --runs $runs --rounds $rounds$([ "$mode" = full ] || echo " --$mode")\`" \
        "on Linux" \
        "$(uname -r), $(nproc) CPUs, cgroup $(cgroup_mode); busybox image, commit" \
        "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
} | tee "$out/results.md"
if [ "$mode" = profile ]; then
    profile
elif [ "$mode" = quick ]; then
    start_to_exit
    say "quick: only the start-to-exit table; make bench without QUICK measures the rest"
else
    start_to_exit
    with_options
    podman_setup
    memory
    if [ "$podman_up" = 1 ]; then
        under_podman
        podman_down
    fi
    flatness
    # A moment for the kernel to finish tearing down the namespaces of the sleep containers.
    sleep 10
    throughput
    goals
fi
say "all tables: $out/results.md; hyperfine's JSON: $out/*.json"
