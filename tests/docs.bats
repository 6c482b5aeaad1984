#!/usr/bin/env bats
# The chapters: chapter 00 sets the scene, every stage has its three files and a chapter
# with a short core path and everything else under "Going deeper", and the chapters'
# ```console examples print what the chapters say.

REPO_ROOT=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)

# A stage chapter's second-level headings, in order: the core path, then "Going deeper",
# under which everything else sits as ### sections.
CORE_HEADINGS=(
    "## The idea"
    "## The syscalls, in order"
    "## The exercise"
    "## Run it"
    "## Check your work"
    "## Going deeper"
)
# The ### sections that every "Going deeper" has (docs/workshop.md uses them).
DEEPER_HEADINGS=(
    "### What can still go wrong"
    "### The whole lesson in one diff"
    "### What it costs"
    "### More exercises"
)
# Words (as wc -w counts them, code blocks included) allowed before "## Going deeper"
# in a stage chapter, and in chapter 00.
CORE_LIMIT=1600
OVERVIEW_LIMIT=1500

stages() {
    (cd "$REPO_ROOT" && ls -d [0-9][0-9]-*/ | tr -d /)
}

# The headings of a chapter at one level ("##" or "###"), in order, outside code blocks.
headings_of() {
    awk -v level="$2" '/^```/ { code = !code; next }
        !code && index($0, level " ") == 1 { sub(/[[:space:]]+$/, ""); print }' "$1"
}

# The ### headings under "## Going deeper".
deeper_headings() {
    awk '/^```/ { code = !code; next } !code && /^## Going deeper[[:space:]]*$/ { on = 1 }
        on && !code && /^### / { sub(/[[:space:]]+$/, ""); print }' "$1"
}

# The core path: every line before "## Going deeper".
core_path() {
    awk '/^```/ { code = !code } !code && /^## Going deeper[[:space:]]*$/ { exit } { print }' "$1"
}

# The lines of one ### section (its heading excluded).
section() {
    awk -v h="$2" '/^```/ { code = !code }
        !code && /^##/ { on = ($0 == h); next } on' "$1"
}

words() {
    wc -w | tr -d ' '
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

@test "docs: every stage chapter has the core path's headings, then Going deeper with its sections" {
    local s n f h bad=0
    for s in $(stages); do
        n=$((10#${s:0:2}))
        f=$REPO_ROOT/$s/README.md
        [ -f "$f" ] || continue
        if ! head -n1 "$f" | grep -q "^# Stage ${s:0:2}: "; then
            echo "$s/README.md: the first line is not '# Stage ${s:0:2}: <title>'"
            bad=1
        fi
        if ! diff <(printf '%s\n' "${CORE_HEADINGS[@]}") <(headings_of "$f" "##") >/dev/null; then
            echo "$s/README.md: its ## headings are (anything else belongs under Going deeper, as ###):"
            headings_of "$f" "##" | sed 's/^/    /'
            bad=1
        fi
        for h in "${DEEPER_HEADINGS[@]}"; do
            if ! deeper_headings "$f" | grep -qxF "$h"; then
                echo "$s/README.md: no '$h' under Going deeper"
                bad=1
            fi
        done
        # The exercise workflow, and every lesson after the first points at its diff.
        for h in "make exercise-$n" "make check-$n" "make solution-$n"; do
            grep -q "$h\b" "$f" || { echo "$s/README.md: does not mention '$h'"; bad=1; }
        done
        if [ "$n" -gt 1 ] && ! grep -q "make diff-$n\b" "$f"; then
            echo "$s/README.md: does not mention 'make diff-$n'"
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

@test "docs: every stage chapter has at least 3 more exercises, each with a way to check it" {
    local s checks bad=0
    for s in $(stages); do
        [ -f "$REPO_ROOT/$s/README.md" ] || continue
        checks=$(section "$REPO_ROOT/$s/README.md" "### More exercises" | grep -c '\*\*Check your work:\*\*')
        if [ "$checks" -lt 3 ]; then
            echo "$s/README.md: $checks exercises under 'More exercises' with '**Check your work:**'"
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

@test "docs: exercises change a copy (work/), never a stage's own runt.c" {
    local s bad=0 lines
    for s in $(stages); do
        [ -f "$REPO_ROOT/$s/README.md" ] || continue
        # Naming a stage's runt.c is fine as the source of a cp; building a stage's own
        # binary (make NN-name/runt) after an edit is what "in place" looks like.
        lines=$(section "$REPO_ROOT/$s/README.md" "### More exercises" |
            grep -nE '[0-9]{2}-[a-z-]+/runt\.c|make [0-9]{2}-[a-z-]+/runt\b' | grep -v 'cp ' || true)
        if [ -n "$lines" ]; then
            echo "$s/README.md, More exercises: a stage's own file, not a copy:"
            echo "$lines" | sed 's/^/    /'
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

@test "docs: word counts: every core path is at most $CORE_LIMIT words, chapter 00 at most $OVERVIEW_LIMIT" {
    local s f core total bad=0
    for s in $(stages); do
        f=$REPO_ROOT/$s/README.md
        [ -f "$f" ] || continue
        core=$(core_path "$f" | words)
        total=$(words <"$f")
        # On fd 3, so that bats shows the counts on every run, not only on a failure.
        printf '# %-16s core path %5d words, total %5d\n' "$s" "$core" "$total" >&3
        if [ "$core" -gt "$CORE_LIMIT" ]; then
            echo "$s/README.md: the core path has $core words (at most $CORE_LIMIT): move detail under Going deeper"
            bad=1
        fi
    done
    f=$REPO_ROOT/docs/00-overview.md
    if [ -f "$f" ]; then
        total=$(words <"$f")
        printf '# %-16s           %5d words\n' "00-overview" "$total" >&3
        [ "$total" -le "$OVERVIEW_LIMIT" ] || { echo "docs/00-overview.md: $total words (at most $OVERVIEW_LIMIT)"; bad=1; }
    fi
    if [ -f "$REPO_ROOT/final/README.md" ]; then
        printf '# %-16s           %5d words (final/ has its own layout: counted, not checked)\n' \
            final "$(words <"$REPO_ROOT/final/README.md")" >&3
    fi
    [ "$bad" = 0 ]
}

@test "docs: chapter 00 exists, has one diagram and no code, and the README links it first" {
    local f=$REPO_ROOT/docs/00-overview.md fences first
    [ -f "$f" ] || { echo "no docs/00-overview.md"; return 1; }
    fences=$(grep -c '^```' "$f")
    [ "$fences" = 2 ] || { echo "docs/00-overview.md: $((fences / 2)) fenced blocks (one diagram, no code)"; return 1; }
    grep -q '^```text$' "$f" || { echo "docs/00-overview.md: the diagram is not a \`\`\`text block"; return 1; }
    # The first chapter the top-level README links to is chapter 00.
    first=$(grep -oE '\((docs/00-overview\.md|[0-9]{2}-[a-z-]+/README\.md)[)#]' "$REPO_ROOT/README.md" | head -n1)
    [ "$first" = "(docs/00-overview.md)" ] || { echo "README.md links $first before docs/00-overview.md"; return 1; }
}

# The console examples are run for real (as root, in a scratch copy of the repository).
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

@test "docs: the examples of stage 01 print what its chapter shows" { check_run_it 01; }
@test "docs: the examples of stage 02 print what its chapter shows" { check_run_it 02; }
@test "docs: the examples of stage 03 print what its chapter shows" { check_run_it 03; }
@test "docs: the examples of stage 04 print what its chapter shows" { check_run_it 04; }
@test "docs: the examples of stage 05 print what its chapter shows" { check_run_it 05; }
@test "docs: the examples of stage 06 print what its chapter shows" { check_run_it 06; }
@test "docs: the examples of stage 07 print what its chapter shows" { check_run_it 07; }

@test "docs: the examples of final print what its chapter shows" {
    [ "$(id -u)" = 0 ] || skip "the examples need root: run with sudo"
    [ -x "$REPO_ROOT/final/runt" ] || { echo "final/runt is not built (run make)"; return 1; }
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$REPO_ROOT/final/README.md"
    echo "$output"
    [ "$status" = 0 ]
}

@test "docs: the AppArmor example of stage 07 prints what its chapter shows" {
    [ "$(id -u)" = 0 ] || skip "the examples need root: run with sudo"
    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] ||
        skip "AppArmor is not enabled in this kernel: the example runs on an AppArmor host (the Vagrant box)"
    command -v apparmor_parser >/dev/null || skip "apparmor_parser is not installed (package apparmor)"
    run env CHECK_README_ONLY=apparmor bash "$REPO_ROOT/scripts/check-readme.sh" "$REPO_ROOT/07-seccomp/README.md"
    echo "$output"
    [ "$status" = 0 ]
    [[ $output == *"ok   07-seccomp/README.md block"* ]]
}

@test "docs: the checker fails when an example's output differs from the chapter" {
    [ "$(id -u)" = 0 ] || skip "the checker needs root"
    local d
    d=$(mktemp -d)
    printf '%s\n' '# Stage 99: x' '## Going deeper' '```console' '$ echo hello' 'goodbye' '```' >"$d/README.md"
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$d/README.md"
    rm -rf "$d"
    echo "$output"
    [ "$status" != 0 ]
    [[ $output == *"FAIL"*"echo hello"* ]]
}

@test "docs: the checker skips a block whose feature is missing, and refuses a feature it does not know" {
    [ "$(id -u)" = 0 ] || skip "the checker needs root"
    local d
    d=$(mktemp -d)
    printf '%s\n' '# Stage 99: x' '```console' '$ echo one' 'one' '```' \
        '<!-- check-readme: needs apparmor -->' '' '```console' '$ echo two' 'not two' '```' >"$d/README.md"
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$d/README.md"
    echo "$output"
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && command -v apparmor_parser >/dev/null; then
        [[ $output == *"FAIL"*"echo two"* ]] # it ran, and its expected output is wrong on purpose
    else
        [ "$status" = 0 ]
        [[ $output == *"ok   "*"block 1: \$ echo one"* ]]
        [[ $output == *"skip "*"block 2: \$ echo two: "*"AppArmor"* ]]
    fi
    printf '%s\n' '# Stage 99: x' '<!-- check-readme: needs unicorns -->' '```console' '$ echo one' 'one' '```' >"$d/README.md"
    run bash "$REPO_ROOT/scripts/check-readme.sh" "$d/README.md"
    rm -rf "$d"
    echo "$output"
    [ "$status" != 0 ]
    [[ $output == *"FAIL"*"needs 'unicorns'"* ]]
}
