#!/usr/bin/env bash
# Recover a machine after a broken exercise: remove runt's own leftovers, and nothing else.
#
#   sudo scripts/cleanup.sh [--dry-run] [--root DIR]      (sudo make cleanup runs it)
#
# What a stage can leave on the host, and what this does about it, in this order:
#   1. runt processes: /proc/PID/exe is a file named "runt" in a stage folder (NN-name/ or
#      final/), or a "runt" anywhere whose child is a container. They get SIGKILL first,
#      so that none of them races this script to clean up half of its container.
#   2. containers: the processes in a runt/<id> cgroup (stage 05 on), those whose root is the
#      overlay of a container under the state root (04 on), and the PID 1 of a container
#      whose runt is still there (a child of runt in another PID namespace: 02 on). SIGKILL;
#      killing a container's PID 1 ends every process of its PID namespace.
#   3. cgroups runt/<id>, under each v1 controller and on the v2 hierarchy, found from
#      /proc/self/mounts: emptied by step 2, then removed with rmdir, deepest first. Never
#      rm -r (cgroup files are not files), and never a cgroup outside a runt/ directory.
#      Then each runt/ parent with nothing left in it (runt makes it again when it needs it).
#   4. mounts on the host below <state root>/containers/: umount -l, deepest first. The
#      mounts that runt makes inside a container's mount namespace go away with it. Only
#      below containers/, which runt alone fills: RUNT_ROOT=/tmp must not cost /tmp's mounts.
#   5. <state root>/containers/<id>: rm -rf, once no mount is left below it. A container
#      kept with --keep is removed too: copy out what you want first (--dry-run lists it).
#
# The state root is --root DIR, else $RUNT_ROOT, else /var/lib/runt (the stages' default).
# --root DIR also narrows everything to the containers with a directory in DIR/containers:
# their cgroups, their processes and their runt, their mounts and state. Nothing else is
# touched, so a test can use it on a machine where other containers run.
# --dry-run prints what would be done and does nothing.
#
# One line per action, then a summary line. Exit status: 0 when nothing of runt's is left
# afterwards (always, with --dry-run), 1 when something is, 2 for a usage error.
#
# Never killed: this script and its callers, even if an exercise moved your shell into a
# runt/<id> cgroup (that cgroup stays, and the exit status says so), and processes in a
# runt/ parent itself, which belong to no container (they are listed, with how to move
# them out; on cgroup v2 they make runt fail with EBUSY).
#
# Not found: a container of stage 02 or 03 whose runt has died (it has no cgroup and no
# state directory, so nothing tells it apart from any other process): `lsns -t pid` lists
# it, and killing its PID 1 ends it. Directories and cgroups that are not named like a
# container id (12 hex digits) are left alone, and said so.
set -uo pipefail

usage() {
    echo "usage: $0 [--dry-run] [--root DIR]" >&2
    exit 2
}

dry=0 root_arg="" scoped=0
while [ $# -gt 0 ]; do
    case "$1" in
    --dry-run) dry=1 ;;
    --root)
        if [ $# -lt 2 ] || [ -z "$2" ]; then echo "cleanup: --root needs a directory" >&2; exit 2; fi
        root_arg=$2 scoped=1
        shift
        ;;
    --root=?*) root_arg=${1#--root=} scoped=1 ;;
    -h | --help)
        sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 0
        ;;
    *) usage ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "cleanup: must run as root (try: sudo $0)" >&2; exit 2; }

root=${root_arg:-${RUNT_ROOT:-/var/lib/runt}}
root=$(realpath -m -- "$root")
containers="$root/containers"

actions=0
# act [--why TEXT] CMD...: one action, on one line. Runs it unless this is a dry run.
act() {
    local why=""
    if [ "$1" = --why ]; then why="   # $2"; shift 2; fi
    actions=$((actions + 1))
    if [ "$dry" = 1 ]; then
        echo "cleanup: would run: $*$why"
        return 0
    fi
    echo "cleanup: $*$why"
    if [ "$1" = kill ]; then
        # A process that ended meanwhile (its container's PID 1 went first) is no error.
        "$@" 2>/dev/null || [ ! -d "/proc/${!#}" ]
        return
    fi
    "$@"
}
note() { echo "cleanup: note: $*"; }

# Container ids: 12 hex digits, the names runt gives a container's directory and cgroup.
is_id() { [[ $1 =~ ^[0-9a-f]{12}$ ]]; }

# The <containers>/<id> directories that are there.
id_dirs() {
    local d
    for d in "$containers"/*/; do
        [ -d "$d" ] || continue
        d=${d%/}
        is_id "${d##*/}" && echo "$d"
    done
    return 0
}

# With --root, only the containers that have a directory under DIR/containers count.
declare -A listed=()
if [ "$scoped" = 1 ]; then
    while read -r d; do listed[${d##*/}]=1; done < <(id_dirs)
fi
in_scope() { [ "$scoped" = 0 ] || [ -n "${listed[$1]:-}" ]; }

# /proc/self/mounts writes a space as \040, a tab as \011, a newline as \012, "\" as \134.
unescape() {
    local s=$1
    s=${s//\\040/ }
    s=${s//\\011/$'\t'}
    s=${s//\\012/$'\n'}
    printf '%s' "${s//\\134/\\}"
}

# Mount points, unescaped, one a line; with an argument, only those of that fs type.
mount_points() {
    local _dev mp fstype _rest
    while read -r _dev mp fstype _rest; do
        if [ $# -eq 0 ] || [ "$fstype" = "$1" ]; then unescape "$mp"; echo; fi
    done </proc/self/mounts
}

# Every hierarchy mounted here: cgroup v2, and each v1 controller (never assumed paths).
cgroup_mounts() {
    { mount_points cgroup2; mount_points cgroup; } | sort -u
}

# proc_stat PID: sets st_state, st_ppid and st_start (field 22, the start time, which
# tells a process from a later one that got the same pid). Fails if PID is gone.
proc_stat() {
    local line fields
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    # The command name, field 2, may hold spaces and ")": cut after the last ") ".
    read -r -a fields <<<"${line##*) }"
    st_state=${fields[0]} st_ppid=${fields[1]} st_start=${fields[19]}
}

# This script and its ancestors (make, sudo, your shell) are never killed, even if an
# exercise moved one of them into a runt/<id> cgroup.
declare -A protected=()
pid=$$
while [ "$pid" -gt 1 ] && proc_stat "$pid"; do
    protected[$pid]=1
    pid=$st_ppid
done

# What is found, filled by discover():
#   runts[pid], containers_pids[pid]  why each process is a target
#   starts[pid]                       its start time, checked again before the kill
#   cgroups                           runt/<id> cgroups to remove
#   busy_parents                      runt/ parents holding processes of their own
declare -A runts=() container_pids=() starts=()
cgroups=() busy_parents=()

# is_ours PID: PID is this script or one of its helpers (find, cat...): a descendant of $$.
is_ours() {
    local p=$1 _
    for _ in 1 2 3 4 5 6; do
        [ "$p" = $$ ] && return 0
        proc_stat "$p" || return 1
        p=$st_ppid
        [ "$p" -le 1 ] && return 1
    done
    return 1
}

add_target() { # add_target ARRAY PID WHY
    local -n arr=$1
    [ -n "${protected[$2]:-}" ] && { note "not killing $2 ($3): it runs this cleanup"; return; }
    is_ours "$2" && return 0
    proc_stat "$2" || return 0
    [ -n "${arr[$2]:-}" ] && return 0
    arr[$2]=$3
    starts[$2]=$st_start
}

# cgroup files all have size 0, so read them rather than test -s.
has_procs() { [ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }

# comm_of PID: sets comm to its command name, without a subshell.
comm_of() { comm=""; read -r comm 2>/dev/null <"/proc/$1/comm"; }

discover() {
    local m d id pid f cg exe dir children ns
    runts=() container_pids=() starts=() cgroups=() busy_parents=()

    # Containers by cgroup: runt/<id> on every hierarchy, with every cgroup below it.
    while read -r m; do
        [ -d "$m/runt" ] || continue
        for d in "$m/runt"/*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            id=${d##*/}
            if ! is_id "$id"; then
                [ "$scoped" = 0 ] && note "left alone, not a container id: $d"
                continue
            fi
            in_scope "$id" || continue
            cgroups+=("$d")
            while read -r cg; do
                while read -r pid; do
                    comm_of "$pid"
                    add_target container_pids "$pid" "in cgroup $d: $comm"
                done 2>/dev/null <"$cg/cgroup.procs"
            done < <(find "$d" -type d 2>/dev/null)
        done
        if [ "$scoped" = 0 ] && has_procs "$m/runt"; then busy_parents+=("$m/runt"); fi
    done < <(cgroup_mounts)

    # Containers by root filesystem: the overlay of <containers>/<id> mounted on "/".
    # mountinfo field 5 is the mount point; the super options hold upperdir=, where a
    # space, "," or "=" would be escaped like this.
    local esc=$containers
    esc=${esc//\\/\\134} esc=${esc// /\\040} esc=${esc//,/\\054} esc=${esc//=/\\075}
    while read -r f; do
        pid=${f#/proc/}
        pid=${pid%/mountinfo}
        id=$(awk -v c="upperdir=$esc/" '$5 == "/" && (i = index($0, c)) {
                 rest = substr($0, i + length(c)); sub(/\/.*/, "", rest); print rest; exit }' \
            "$f" 2>/dev/null)
        if [ -z "$id" ] || ! is_id "$id" || ! in_scope "$id"; then continue; fi
        comm_of "$pid"
        add_target container_pids "$pid" "root is the overlay of container $id: $comm"
    done < <(grep -l -s -F "upperdir=$esc/" /proc/[0-9]*/mountinfo)

    # runt itself, and the PID 1 of its container. Children are found by their ppid.
    declare -A kids=()
    for f in /proc/[0-9]*; do
        pid=${f#/proc/}
        proc_stat "$pid" || continue
        kids[$st_ppid]+=" $pid"
    done
    while IFS=$'\t' read -r f exe; do
        exe=${exe% (deleted)} # a runt rebuilt by make while it ran
        [ "${exe##*/}" = runt ] || continue
        pid=${f#/proc/}
        dir=${exe%/runt}
        dir=${dir##*/}
        children=${kids[$pid]:-}
        local is_runt=0 c
        if [ "$scoped" = 0 ] && [[ $dir =~ ^[0-9][0-9]-. || $dir = final ]]; then is_runt=1; fi
        ns=$(readlink "/proc/$pid/ns/pid" 2>/dev/null) || continue
        for c in $children; do
            if [ -n "${container_pids[$c]:-}" ]; then
                is_runt=1
            elif [ "$scoped" = 0 ] && [ "$(readlink "/proc/$c/ns/pid" 2>/dev/null)" != "$ns" ]; then
                is_runt=1
                comm_of "$c"
                add_target container_pids "$c" "PID 1 of the container of runt $pid: $comm"
            fi
        done
        [ "$is_runt" = 1 ] && add_target runts "$pid" "runt: $exe"
    done < <(find /proc/[0-9]*/exe -maxdepth 0 -printf '%h\t%l\n' 2>/dev/null)
    return 0
}

# kill_targets ARRAY: SIGKILL each, unless it is gone or its pid now names another process.
killed=()
declare -A was_killed=()
# kill_pid PID WHY: SIGKILL, said with its reason, and remembered.
kill_pid() {
    act --why "$2" kill -KILL "$1" && killed+=("$1")
    was_killed[$1]=1
}
kill_targets() {
    local -n targets=$1
    local pid
    for pid in $(printf '%s\n' "${!targets[@]}" | sort -n); do
        if ! proc_stat "$pid" || [ "$st_start" != "${starts[$pid]}" ]; then continue; fi
        kill_pid "$pid" "${targets[$pid]}"
    done
}

# Mount points below <containers>/ (of the listed containers), deepest first.
state_mounts() {
    local mp id
    while IFS= read -r mp; do
        [[ $mp == "$containers"/* ]] || continue
        id=${mp#"$containers"/}
        id=${id%%/*}
        in_scope "$id" && printf '%s\t%s\n' "${#mp}" "$mp"
    done < <(mount_points) | sort -rn | cut -f2-
}

has_mount_below() {
    local mp
    while IFS= read -r mp; do
        if [ "$mp" = "$1" ] || [[ $mp == "$1"/* ]]; then return 0; fi
    done < <(state_mounts)
    return 1
}

# <containers>/<id> directories to remove.
state_dirs() {
    local d
    while read -r d; do
        in_scope "${d##*/}" && echo "$d"
    done < <(id_dirs)
    return 0
}

# --- 1 and 2: processes -----------------------------------------------------------------
discover
kill_targets runts
kill_targets container_pids

# A killed process stays in its cgroup until it is reaped, and a container may have forked
# since it was listed: kill whatever else shows up there, and wait up to 5 s for the
# cgroups to empty. (No subshell here: if this script is in such a cgroup, so would it be.)
if [ "$dry" = 0 ] && { [ ${#killed[@]} -gt 0 ] || [ ${#cgroups[@]} -gt 0 ]; }; then
    cg_dirs=()
    for cg in "${cgroups[@]}"; do
        while read -r d; do cg_dirs+=("$d"); done < <(find "$cg" -type d 2>/dev/null)
    done
    for _ in $(seq 50); do
        busy=0
        for pid in "${killed[@]}"; do
            if proc_stat "$pid" && [ "$st_state" != Z ]; then busy=1; fi
        done
        for d in "${cg_dirs[@]}"; do
            while read -r pid; do
                [ -n "${protected[$pid]:-}" ] && continue
                is_ours "$pid" && continue
                busy=1
                [ -n "${was_killed[$pid]:-}" ] && continue
                kill_pid "$pid" "appeared in cgroup $d"
            done 2>/dev/null <"$d/cgroup.procs"
        done
        [ "$busy" = 0 ] && break
        sleep 0.1
    done
fi

# --- 3: cgroups ---------------------------------------------------------------------------
for cg in "${cgroups[@]}"; do
    while read -r d; do
        act rmdir "$d"
    done < <(find "$cg" -depth -type d 2>/dev/null)
done
# The runt/ parents: only when nothing is left in them (no other cgroup, no process).
if [ "$scoped" = 0 ]; then
    while read -r m; do
        [ -d "$m/runt" ] || continue
        has_procs "$m/runt" && continue
        others=$(find "$m/runt" -mindepth 1 -maxdepth 1 -type d | while read -r d; do
            # On a dry run the containers' cgroups are still there: they do not count.
            if [ "$dry" = 0 ] || ! is_id "${d##*/}"; then echo "$d"; fi
        done)
        [ -z "$others" ] && act rmdir "$m/runt"
    done < <(cgroup_mounts)
fi

# --- 4: mounts ----------------------------------------------------------------------------
while IFS= read -r mp; do
    act umount -l "$mp"
done < <(state_mounts)

# --- 5: state -----------------------------------------------------------------------------
if [ "$scoped" = 0 ]; then
    for d in "$containers"/*; do
        [ -e "$d" ] && ! is_id "${d##*/}" && note "left alone, not a container id: $d"
    done
fi
while IFS= read -r d; do
    if [ "$dry" = 0 ] && has_mount_below "$d"; then
        echo "cleanup: $d still has a mount below it; not removing it" >&2
        continue
    fi
    # --one-file-system: even so, never follow a mount into another filesystem.
    act rm -rf --one-file-system -- "$d"
done < <(state_dirs)

# --- what is left -------------------------------------------------------------------------
if [ "$dry" = 1 ]; then
    echo "cleanup: dry run: $actions actions would be taken"
    exit 0
fi
sleep 0.1
left=()
discover >/dev/null
for pid in "${!runts[@]}" "${!container_pids[@]}"; do
    comm_of "$pid"
    left+=("process $pid ($comm)")
done
for cg in "${cgroups[@]}"; do left+=("cgroup $cg"); done
for cg in "${busy_parents[@]}"; do
    left+=("$cg holds processes of its own, in no container: $(tr '\n' ' ' <"$cg/cgroup.procs")(move each out: echo PID > ${cg%/runt}/cgroup.procs)")
done
while IFS= read -r mp; do left+=("mount $mp"); done < <(state_mounts)
while IFS= read -r d; do left+=("directory $d"); done < <(state_dirs)
if [ ${#left[@]} -gt 0 ]; then
    printf 'cleanup: still there: %s\n' "${left[@]}" >&2
    echo "cleanup: $actions actions; ${#left[@]} left over (listed above)"
    exit 1
fi
echo "cleanup: $actions actions; nothing of runt's is left"
