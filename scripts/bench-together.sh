#!/usr/bin/env bash
# Part of make bench (scripts/bench.sh): start N copies of a command at once and wait for
# all of them; hyperfine times the whole, which is the wall time of N container starts.
#
#   scripts/bench-together.sh N COMMAND...
#
# "{}" in COMMAND becomes the copy's number, 1 to N (crun and runc need unique ids).
# Exits 1, after all have ended, if any copy failed.
set -uo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 N COMMAND..." >&2
    exit 2
fi
n=$1
shift
pids=()
for ((i = 1; i <= n; i++)); do
    "${@//\{\}/$i}" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
exit "$status"
