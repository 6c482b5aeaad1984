#!/usr/bin/env bash
# Run the bats suites against stage binaries, cumulatively.
#
#   scripts/run-tests.sh STAGE...         for each STAGE, suites 1..STAGE against its binary
#   scripts/run-tests.sh --only STAGE...  for each STAGE, its own suite only
#   --runt PATH     one STAGE's suites against PATH instead (make check-N: a learner's copy)
#   --filter REGEX  only the tests whose names match (bats --filter)
#
# STAGE is a number (3 or 03), "final", or "docs" (tests/docs.bats, tests/cleanup.bats,
# tests/helpers.bats and tests/exercises.bats: the READMEs and their examples, the cleanup
# command, the leak checks, make exercise-N/check-N/solution-N). Bats prints TAP; the last line is
# "N passed, N failed, N skipped". The exit status is non-zero on any failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    echo "usage: $0 [--only] [--runt PATH] [--filter REGEX] STAGE..." >&2
    exit 2
}
only=0 runt_path="" filter=()
while [ $# -gt 0 ]; do
    case "$1" in
    --only) only=1 ;;
    --runt) [ $# -ge 2 ] || usage; runt_path=$(realpath -m -- "$2"); shift ;;
    --filter) [ $# -ge 2 ] || usage; filter=(--filter "$2"); shift ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || usage
if [ -n "$runt_path" ] && [ $# -ne 1 ]; then echo "run-tests: --runt takes one STAGE" >&2; exit 2; fi
cd "$repo" || exit 2

stage_dir() {
    case "$1" in
    final) echo final ;;
    *)
        local d
        for d in "$(printf %02d "$((10#$1))")"-*/; do [ -d "$d" ] && echo "${d%/}"; done
        ;;
    esac
}

passed=0 failed=0 skipped=0

# RUNT_SUITES="A.bats B.bats...": of the suites a run would use, only these (the cgroup v2
# VM runs only what cgroup v2 can change). Sets the array `suites`.
only_listed_suites() {
    local s kept=()
    [ -n "${RUNT_SUITES:-}" ] || return 0
    for s in "${suites[@]}"; do
        [[ " $RUNT_SUITES " == *" $s "* ]] && kept+=("$s")
    done
    suites=("${kept[@]}")
}

# run_suites NAME SUITE...: run them in one bats, show the TAP, add up the results.
run_suites() {
    local name=$1 out p s_ok f plan
    shift
    echo "# $name: $*"
    out=$(mktemp)
    BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180} bats --tap "${filter[@]}" "$@" 2>&1 | tee "$out"
    p=$(grep -c '^ok .* # skip' "$out")
    s_ok=$(grep -c '^ok ' "$out")
    f=$(grep -c '^not ok ' "$out")
    # A suite that dies before its plan is complete counts as a failure.
    plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
    if [ -z "$plan" ] || [ $((s_ok + f)) -lt "$plan" ]; then
        echo "not ok - $name: bats stopped after $((s_ok + f)) of ${plan:-?} tests"
        f=$((f + 1))
    fi
    rm -f "$out"
    passed=$((passed + s_ok - p)) failed=$((failed + f)) skipped=$((skipped + p))
    echo "# $name: $((s_ok - p)) passed, $f failed, $p skipped"
}

for stage in "$@"; do
    if [ "$stage" = docs ]; then
        suites=()
        for s in tests/docs.bats tests/cleanup.bats tests/helpers.bats tests/exercises.bats; do
            [ -f "$s" ] && suites+=("$s")
        done
        only_listed_suites
        [ ${#suites[@]} -gt 0 ] || continue
        # helpers.bats (the leak checks) runs containers: with the last stage.
        stages=([0-9][0-9]-*/)
        last=${stages[${#stages[@]} - 1]%/}
        RUNT="$repo/$last/runt" run_suites docs "${suites[@]}"
        continue
    fi
    dir=$(stage_dir "$stage")
    runt=${runt_path:-$repo/$dir/runt}
    if [ -z "$dir" ] || [ ! -x "$runt" ]; then
        if [ -n "$runt_path" ]; then echo "run-tests: no runt binary at $runt" >&2; else echo "run-tests: no built stage $stage (run make)" >&2; fi
        exit 2
    fi
    num=99
    [ "$dir" = final ] || num=$((10#${dir:0:2}))

    suites=()
    for s in [0-9][0-9]-*/test.bats; do
        n=$((10#${s:0:2}))
        if [ "$only" = 1 ]; then [ "$n" = "$num" ] && suites+=("$s"); else [ "$n" -le "$num" ] && suites+=("$s"); fi
    done
    # final/ adds its own suites: test.bats, and the others (oci, podman...) after it.
    if [ "$dir" = final ]; then
        for s in final/test.bats final/*.bats; do
            [ -f "$s" ] && [[ " ${suites[*]} " != *" $s "* ]] && suites+=("$s")
        done
    fi
    only_listed_suites
    [ ${#suites[@]} -gt 0 ] || continue

    RUNT=$runt RUNT_STAGE=$num run_suites "stage $dir" "${suites[@]}"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
