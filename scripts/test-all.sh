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
bash "$repo/scripts/run-tests.sh" "$@" docs | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

# Under TCG a test costs seconds, so the VM runs only what cgroup v2 can change: the
# cgroup suite (05), the suites whose tests remove cgroups on every exit path (02: a
# killed runt; 04: a failing child), final's own and the cleanup and leak-check suites,
# with stage 05's binary (the stages after it carry its cgroup code unchanged) and
# final's. RUNT_VM_STAGES (and RUNT_VM_SUITES) pick others; "make test-v2" runs every
# suite; RUNT_SKIP_VM=1 skips the VM. A machine that is cgroup v2 already (most
# learners' VMs) needs none: the suites above ran on v2.
if [ -n "${RUNT_VM_STAGES:-}" ]; then
    vm_stages=$RUNT_VM_STAGES
    vm_suites=${RUNT_VM_SUITES:-}
else
    vm_stages=$(for s in "$@"; do { [ "$s" = 5 ] || [ "$s" = final ]; } && echo "$s"; done)
    [ -n "$vm_stages" ] && vm_stages="$vm_stages docs"
    vm_suites=${RUNT_VM_SUITES:-$(cd "$repo" && echo 02-*/test.bats 04-*/test.bats 05-*/test.bats \
        final/test.bats final/oci.bats tests/cleanup.bats tests/helpers.bats)}
fi
if [ -n "${RUNT_SKIP_VM:-}" ]; then
    echo "# cgroup v2 VM skipped: RUNT_SKIP_VM is set"
elif [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && [ -z "${RUNT_VM_STAGES:-}" ]; then
    echo "# cgroup v2 VM skipped: this machine is cgroup v2 already, so the suites above ran on v2"
elif ! command -v apt-get >/dev/null; then
    echo "# cgroup v2 VM skipped: it boots Debian's kernel, fetched with apt-get, which is missing here"
elif ! command -v qemu-system-x86_64 >/dev/null; then
    echo "# cgroup v2 VM skipped: qemu-system-x86_64 is not installed"
elif [ -n "$vm_stages" ]; then
    echo "# === cgroup v2 VM"
    # shellcheck disable=SC2086
    RUNT_SUITES=$vm_suites bash "$repo/scripts/vm-test.sh" $vm_stages | tee -a "$log"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
fi

# Sum the per-run summary lines (run-tests.sh prints one per run, last).
read -r p f s < <(awk '/^[0-9]+ passed, [0-9]+ failed/ {p+=$1; f+=$3; s+=$5} END {print p+0, f+0, s+0}' "$log")
[ "$status" = 0 ] || [ "$f" != 0 ] || f=1
echo "$p passed, $f failed, $s skipped"
[ "$status" = 0 ] && [ "$f" = 0 ]
