#!/usr/bin/env bats
# The stage folders and their chapters: every stage has its three files, every README
# follows the template, and the commands under "Run it" print what the README says.

REPO_ROOT=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)

# The template's headings, in order (docs/workshop.md and the stage issues describe them).
HEADINGS=(
    "## The idea"
    "## The syscalls, in order"
    "## Build it"
    "## Run it"
    "## What to observe"
    "## Exercises"
    "## What can still go wrong"
    "## The whole lesson in one diff"
)

stages() {
    (cd "$REPO_ROOT" && ls -d [0-9][0-9]-*/ | tr -d /)
}

# The second-level headings of a README, in order.
headings_of() {
    awk '/^```/ { code = !code } !code && /^## / { sub(/[[:space:]]+$/, ""); print }' "$1"
}

@test "docs: every stage folder has runt.c, README.md and test.bats" {
    local s f missing=()
    for s in $(stages); do
        for f in runt.c README.md test.bats; do
            [ -f "$REPO_ROOT/$s/$f" ] || missing+=("$s/$f")
        done
    done
    [ "${#missing[@]}" = 0 ] || { echo "missing: ${missing[*]}"; return 1; }
}

@test "docs: every stage README has the template's headings, in order" {
    local s n bad=0
    for s in $(stages); do
        n=$((10#${s:0:2}))
        [ -f "$REPO_ROOT/$s/README.md" ] || continue
        if ! head -n1 "$REPO_ROOT/$s/README.md" | grep -q "^# Stage ${s:0:2}: "; then
            echo "$s/README.md: the first line is not '# Stage ${s:0:2}: <title>'"
            bad=1
        fi
        if ! diff <(printf '%s\n' "${HEADINGS[@]}") <(headings_of "$REPO_ROOT/$s/README.md" |
            grep -xF -f <(printf '%s\n' "${HEADINGS[@]}")) >/dev/null; then
            echo "$s/README.md: headings are:"
            headings_of "$REPO_ROOT/$s/README.md" | sed 's/^/    /'
            bad=1
        fi
        # Every lesson after the first points at its diff.
        if [ "$n" -gt 1 ] && ! grep -q "make diff-$n" "$REPO_ROOT/$s/README.md"; then
            echo "$s/README.md: does not mention 'make diff-$n'"
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

@test "docs: every stage README has at least 3 exercises, each with a way to check it" {
    local s checks bad=0
    for s in $(stages); do
        [ -f "$REPO_ROOT/$s/README.md" ] || continue
        checks=$(awk '/^## / { on = ($0 ~ /^## Exercises/) } on' "$REPO_ROOT/$s/README.md" |
            grep -c '\*\*Check your work:\*\*')
        if [ "$checks" -lt 3 ]; then
            echo "$s/README.md: $checks exercises with '**Check your work:**'"
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

# The "Run it" examples are run for real (as root, in a scratch copy of the repository).
check_run_it() {
    [ "$(id -u)" = 0 ] || skip "the examples need root: run with sudo"
    local s
    s=$(cd "$REPO_ROOT" && ls -d "$1"-*/ 2>/dev/null | tr -d /)
    [ -n "$s" ] || skip "there is no stage $1"
    [ -x "$REPO_ROOT/$s/runt" ] || { echo "$s/runt is not built (run make)"; return 1; }
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$REPO_ROOT/$s/README.md"
    echo "$output"
    [ "$status" = 0 ]
}

@test "docs: the Run it examples of stage 01 print what its README shows" { check_run_it 01; }
@test "docs: the Run it examples of stage 02 print what its README shows" { check_run_it 02; }
@test "docs: the Run it examples of stage 03 print what its README shows" { check_run_it 03; }
@test "docs: the Run it examples of stage 04 print what its README shows" { check_run_it 04; }
@test "docs: the Run it examples of stage 05 print what its README shows" { check_run_it 05; }
@test "docs: the Run it examples of stage 06 print what its README shows" { check_run_it 06; }
@test "docs: the Run it examples of stage 07 print what its README shows" { check_run_it 07; }

@test "docs: the Run it examples of final print what its README shows" {
    [ "$(id -u)" = 0 ] || skip "the examples need root: run with sudo"
    [ -x "$REPO_ROOT/final/runt" ] || { echo "final/runt is not built (run make)"; return 1; }
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$REPO_ROOT/final/README.md"
    echo "$output"
    [ "$status" = 0 ]
}

@test "docs: the checker fails when an example's output differs from the README" {
    [ "$(id -u)" = 0 ] || skip "the checker needs root"
    local d
    d=$(mktemp -d)
    printf '%s\n' '# Stage 99: x' '## Run it' '```console' '$ echo hello' 'goodbye' '```' >"$d/README.md"
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$d/README.md"
    rm -rf "$d"
    echo "$output"
    [ "$status" != 0 ]
    [[ $output == *"FAIL"*"echo hello"* ]]
}
