#!/usr/bin/env bash
# make test: every stage's suites here, then (when qemu is installed) in the cgroup v2 VM.
# Ends with one line "N passed, N failed, N skipped" summing both.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 STAGE..." >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

echo "# === here: $(uname -r), cgroup $(stat -fc %T /sys/fs/cgroup)"
bash "$repo/scripts/run-tests.sh" "$@" | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

if [ -f "$repo/scripts/vm-test.sh" ] && command -v qemu-system-x86_64 >/dev/null; then
    echo "# === cgroup v2 VM"
    bash "$repo/scripts/vm-test.sh" "$@" | tee -a "$log"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
elif [ -f "$repo/scripts/vm-test.sh" ]; then
    echo "# cgroup v2 VM skipped: qemu-system-x86_64 is not installed"
fi

# Sum the per-run summary lines (run-tests.sh prints one per run, last).
read -r p f s < <(awk '/^[0-9]+ passed, [0-9]+ failed/ {p+=$1; f+=$3; s+=$5} END {print p+0, f+0, s+0}' "$log")
[ "$status" = 0 ] || [ "$f" != 0 ] || f=1
echo "$p passed, $f failed, $s skipped"
[ "$status" = 0 ] && [ "$f" = 0 ]
