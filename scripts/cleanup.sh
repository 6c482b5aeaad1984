#!/usr/bin/env bash
# Recover a machine after a broken exercise: remove runt's own leftovers, and nothing else.
#
#   sudo scripts/cleanup.sh [--dry-run] [--root DIR]
#
# What runt can leave behind, and what this does about it:
#   - containers still running: processes in a runt/<id> cgroup (stage 05 on), and
#     processes whose root is the overlay of a container under the state root (04 on).
#     They get SIGKILL. Without --root, running runt processes get SIGTERM first, which
#     they pass on to their container before they clean up after it.
#   - cgroups runt/<id>, on the v2 hierarchy or under each v1 controller: emptied, then
#     removed with rmdir (never rm -r: cgroup files are not files). Cgroups outside
#     runt/ are never touched.
#   - mounts on the host below the state root (an exercise may make some): unmounted,
#     deepest first.
#   - the state root's containers/<id> directories, once nothing is mounted below them.
# The state root is --root DIR, else $RUNT_ROOT, else /var/lib/runt. With --root, only
# the containers whose ids have a directory under DIR/containers are touched.
# Containers of stages 02 and 03, which have neither a cgroup nor a state directory,
# cannot be told apart from other processes: stop those with Ctrl-C or by pid.
set -uo pipefail

dry=0 root="" only_listed=0
while [ $# -gt 0 ]; do
    case "$1" in
    --dry-run) dry=1 ;;
    --root)
        [ $# -ge 2 ] || { echo "cleanup: --root needs a directory" >&2; exit 2; }
        root=$2 only_listed=1
        shift
        ;;
    *) echo "usage: $0 [--dry-run] [--root DIR]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "cleanup: must run as root (try: sudo $0)" >&2; exit 2; }
root=${root:-${RUNT_ROOT:-/var/lib/runt}}
root=$(realpath -m "$root")
containers="$root/containers"

actions=0
act() {
    actions=$((actions + 1))
    echo "cleanup: $*"
    [ "$dry" = 1 ] && return 0
    "$@"
}

# Container ids: 12 hex digits, the names runt gives its directories and cgroups.
is_id() { [[ $1 =~ ^[0-9a-f]{12}$ ]]; }

listed_ids() {
    local d
    for d in "$containers"/*/; do
        [ -d "$d" ] || continue
        d=${d%/}
        is_id "${d##*/}" && echo "${d##*/}"
    done
    return 0
}

# Every runt/ directory on a mounted cgroup hierarchy (v2, or each v1 controller).
cgroup_parents() {
    awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | sort -u |
        while read -r m; do [ -d "$m/runt" ] && echo "$m/runt"; done
    return 0
}

# The runt/<id> cgroups to clean: all, or those of the listed ids.
target_cgroups() {
    local parent d id
    while read -r parent; do
        for d in "$parent"/*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            id=${d##*/}
            is_id "$id" || continue
            if [ "$only_listed" = 1 ] && [ ! -d "$containers/$id" ]; then continue; fi
            echo "$d"
        done
    done < <(cgroup_parents)
}

# Processes whose / is the overlay of a container under the state root.
overlay_pids() {
    local f pid
    for f in /proc/[0-9]*/mountinfo; do
        pid=${f#/proc/}
        pid=${pid%/mountinfo}
        [ "$pid" = $$ ] && continue
        # Field 5 is the mount point; the super options after " - " name upperdir.
        awk -v c="upperdir=$containers/" '$5 == "/" && index($0, c) {found = 1} END {exit !found}' \
            "$f" 2>/dev/null || continue
        if [ "$only_listed" = 1 ]; then
            local id
            id=$(grep -o "upperdir=$containers/[0-9a-f]*" "$f" | head -n1 | sed 's|.*/||')
            [ -d "$containers/$id" ] || continue
        fi
        echo "$pid"
    done
}

# 1. runt itself: SIGTERM, which it forwards to its container before it cleans up.
if [ "$only_listed" = 0 ]; then
    runts=$(find /proc/[0-9]*/exe -maxdepth 0 -lname '*/runt' -printf '%h\n' 2>/dev/null | cut -d/ -f3)
    for pid in $runts; do act kill -TERM "$pid"; done
    [ -n "$runts" ] && [ "$dry" = 0 ] && sleep 1
fi

# 2. What is left of the containers: SIGKILL, by pid.
cgroups=$(target_cgroups)
for cg in $cgroups; do
    while read -r pid; do act kill -KILL "$pid"; done <"$cg/cgroup.procs"
done
for pid in $(overlay_pids); do act kill -KILL "$pid"; done

# 3. The cgroups, once empty (a killed process leaves its cgroup when it is reaped).
for cg in $cgroups; do
    [ "$dry" = 1 ] && { act rmdir "$cg"; continue; }
    for _ in $(seq 50); do
        [ -z "$(cat "$cg/cgroup.procs" 2>/dev/null)" ] && break
        sleep 0.1
    done
    act rmdir "$cg" || echo "cleanup: could not remove $cg" >&2
done
# The runt/ parents, when no container uses them any more (runt makes them again).
if [ "$only_listed" = 0 ]; then
    for parent in $(cgroup_parents); do
        find "$parent" -mindepth 1 -maxdepth 1 -type d | grep -q . || act rmdir "$parent"
    done
fi

# 4. Mounts below the state's containers, deepest first, then the directories.
if [ "$only_listed" = 1 ]; then ids=$(listed_ids); else ids='*'; fi
if [ -d "$containers" ]; then
    while read -r m; do
        id=${m#"$containers"/}
        id=${id%%/*}
        if [ "$ids" = '*' ] || grep -qx "$id" <<<"$ids"; then act umount -l "$m"; fi
    done < <(awk -v c="$containers/" 'index($2, c) == 1 {print $2}' /proc/self/mounts | sort -r)
    for d in "$containers"/*/; do
        [ -d "$d" ] || continue
        d=${d%/}
        is_id "${d##*/}" || continue
        if [ "$ids" != '*' ] && ! grep -qx "${d##*/}" <<<"$ids"; then continue; fi
        # --one-file-system: never follow a mount that is still there into another fs.
        act rm -rf --one-file-system "$d"
    done
fi

left=$(target_cgroups)
[ "$dry" = 1 ] && left=""
if [ -n "$left" ]; then
    echo "cleanup: $actions actions; still there: $left" >&2
    exit 1
fi
if [ "$dry" = 1 ]; then
    echo "cleanup: dry run: $actions actions would be taken"
else
    echo "cleanup: $actions actions, nothing of runt's is left"
fi
