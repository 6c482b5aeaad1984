#!/usr/bin/env bats
# The exercises (scripts/exercise.sh): make exercise-N blanks stage N's lesson functions,
# make check-N grades the learner's copy with the suites, make solution-N compares it with
# the reference. Every stage, and final/: the blank copy builds and fails the claims that
# grade its lesson; the reference bodies put back (by the markers) give the reference,
# which passes.
bats_require_minimum_version 1.5.0

REPO_ROOT=$(cd "$(dirname "$BATS_TEST_FILENAME")/.." && pwd)

# The claims of stage N's suite that grade its lesson, one per lesson function (a regex
# for make check-N FILTER=...). Only these run against the blank copy: the whole suite
# would cost minutes a stage, and the other claims have nothing to say about the lesson.
declare -gA CLAIMS=(
    [1]='^01: (an unknown command gives 127 and names it|exit status 0, 3 and 255 propagate|SIGINT and SIGHUP do not kill runt; it forwards them)$'
    [2]='^02: (/proc/self/ns/.*differ from the host.s|a tmpfs mounted inside is invisible on the host and gone after exit|the command is PID 1 and ps lists only the container.s processes|kill -9 of runt ends its container too.*)$'
    [3]='^03: (/ inside is the rootfs; the host.s files are out of sight|/dev holds exactly the expected nodes, and they work)$'
    [4]='^04: (writes, appends, chmods, deletes and renames never change the image|--root and RUNT_ROOT choose the state root; --root wins)$'
    [5]='^05: (the limit files on the host hold the requested values while the container runs|the container is in its cgroup before it runs.*|after exit, and after SIGKILL of PID 1, no runt/<id> cgroup remains)$'
    [6]='^06: (bounding, permitted and effective are the default 14.*|masked files read as empty, masked directories are empty|/proc/sys and /proc/sysrq-trigger are read-only, still readable)$'
    [7]='^07: (Seccomp is 2 \(filter\) and NoNewPrivs is 1 inside|unshare -U, which stage 06 allowed, now fails with EPERM)$'
    [final]='^final: (a failed setup step in the init is one line, exit 125, nothing left|-t gives a terminal from the container.s devpts, TERM, and the exit status|--userns: root inside is uid 100000 outside; the image.s files are root.s inside|runt exec joins every namespace and the cgroup, as the same user, filtered)$'
)

setup() {
    # The learners' folder of this test only: never the repo's work/.
    export WORK="$BATS_TEST_TMPDIR/work"
}

stages() {
    (cd "$REPO_ROOT" && ls -d [0-9][0-9]-*/ | tr -d /)
}

stage_of() {
    if [ "$1" = final ]; then echo final; else (cd "$REPO_ROOT" && ls -d "$(printf %02d "$1")"-*/ | tr -d /); fi
}

# final/'s sources, as make exercise-final copies them.
final_sources() { (cd "$REPO_ROOT/final" && ls -- *.c *.h); }

# The lesson functions of a stage, from its .todo file's sections.
lessons_of() {
    sed -n 's/^@@ //p' "$REPO_ROOT/scripts/exercises/$1.todo"
}

# The markers of lesson function $2 of stage $1 (a number, or final).
lesson_nn() { if [ "$1" = final ]; then echo final; else printf %02d "$1"; fi; }
begin_marker() { echo "/* lesson $(lesson_nn "$1"): $2; make exercise-$1 blanks its body */"; }
end_marker() { echo "/* end of lesson $(lesson_nn "$1"): $2 */"; }

# has_todo N F FILE...: between the markers of lesson function F of stage N, a TODO.
has_todo() {
    awk -v b="$(begin_marker "$1" "$2")" -v e="$(end_marker "$1" "$2")" \
        '$0 == b { on = 1 } on && /TODO/ { found = 1 } $0 == e { on = 0 } END { exit !found }' "${@:3}"
}

@test "exercises: every stage's lessons are marked in it and carried unchanged into later stages; diff-N adds only stage N's markers" {
    local s n t f later bad=0 expected
    for s in $(stages); do
        n=$((10#${s:0:2}))
        [ -f "$REPO_ROOT/scripts/exercises/$s.todo" ] || { echo "no scripts/exercises/$s.todo"; bad=1; continue; }
        expected=""
        for f in $(lessons_of "$s"); do
            expected+="+$(begin_marker "$n" "$f")"$'\n'"+$(end_marker "$n" "$f")"$'\n'
            for t in $(stages); do
                later=$((10#${t:0:2}))
                count=$(grep -cxF -e "$(begin_marker "$n" "$f")" -e "$(end_marker "$n" "$f")" "$REPO_ROOT/$t/runt.c" || true)
                if [ "$later" -ge "$n" ] && [ "$count" != 2 ]; then
                    echo "$t/runt.c: lesson $n's markers of $f appear $count times, not one pair"
                    bad=1
                elif [ "$later" -lt "$n" ] && [ "$count" != 0 ]; then
                    echo "$t/runt.c: has lesson $n's markers of $f, before its stage"
                    bad=1
                fi
            done
        done
        [ "$n" -gt 1 ] || continue
        # The diff's own lines that mention a lesson: exactly this stage's new markers.
        if ! diff <(sort <<<"$expected" | sed '/^$/d') \
            <(make -s -C "$REPO_ROOT" "diff-$n" | grep -E '^[-+][^-+].*lesson [0-9]{2}' | sort); then
            echo "make diff-$n: the marker lines above differ from stage $n's new markers"
            bad=1
        fi
    done
    [ "$bad" = 0 ]
}

@test "exercises: every blank copy is clang-formatted" {
    # clang-format is a tool for writing runt, not for running it: setup.sh does not
    # install it (Debian: clang-format).
    command -v clang-format >/dev/null || skip "clang-format is not installed"
    local s n bad=0
    for s in $(stages); do
        n=$((10#${s:0:2}))
        run make -s -C "$REPO_ROOT" "exercise-$n"
        [ "$status" -eq 0 ] || { echo "make exercise-$n: $output"; bad=1; continue; }
        clang-format --style="file:$REPO_ROOT/.clang-format" --dry-run -Werror "$WORK/$s/runt.c" || bad=1
    done
    [ "$bad" = 0 ]
}

@test "exercises: every blank copy differs only in its lesson bodies, and each of those holds a TODO" {
    local s n f bad=0
    for s in $(stages); do
        n=$((10#${s:0:2}))
        run make -s -C "$REPO_ROOT" "exercise-$n"
        [ "$status" -eq 0 ] || { echo "make exercise-$n: $output"; bad=1; continue; }
        # Put back by the markers, the reference bodies give the reference, byte for byte:
        # so nothing outside the lesson bodies changed.
        if ! bash "$REPO_ROOT/scripts/exercise.sh" unblank "$n" "$WORK/$s/runt.c" | cmp - "$REPO_ROOT/$s/runt.c"; then
            echo "$s: the blank copy un-blanked is not the reference"
            bad=1
        fi
        for f in $(lessons_of "$s"); do
            has_todo "$n" "$f" "$WORK/$s/runt.c" || { echo "$s: $f has no TODO in the blank copy"; bad=1; }
        done
    done
    [ "$bad" = 0 ]
}

@test "exercises: every say(), die(), fail() and runt_fail() that a TODO quotes is the reference's, word for word" {
    local f s q bad=0
    for f in "$REPO_ROOT"/scripts/exercises/*.todo; do
        s=$(basename "$f" .todo)
        # The suites read -v lines and messages: a TODO that misquotes one sends the
        # learner after the wrong text. (The stubs' own "not written yet" are not quotes.)
        while read -r q; do
            if [ "$s" = final ]; then
                grep -qF "$q" "$REPO_ROOT"/final/*.c || { echo "final: the TODO quotes $q, which no file of final/ has"; bad=1; }
                continue
            fi
            grep -qF "$q" "$REPO_ROOT/$s/runt.c" || { echo "$s: the TODO quotes $q, which $s/runt.c does not have"; bad=1; }
        done < <(grep -o '\(say\|die\|fail\)("[^"]*"\|runt_fail(err, errno, "[^"]*"' "$f" | grep -v 'not written yet' | sort -u)
    done
    [ "$bad" = 0 ]
}

@test "exercises: final/'s lessons are marked once each, in one of its files; exercise-final blanks only them" {
    local f n bad=0 copy="$WORK/final"
    for f in $(lessons_of final); do
        n=$(cat "$REPO_ROOT"/final/*.c | grep -cxF -e "$(begin_marker final "$f")" -e "$(end_marker final "$f")" || true)
        [ "$n" = 2 ] || { echo "final/: the markers of $f appear $n times, not one pair"; bad=1; }
    done
    ! grep -l 'lesson final' "$REPO_ROOT"/[0-9][0-9]-*/runt.c || bad=1
    run make -s -C "$REPO_ROOT" exercise-final
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "wrote $copy/: write "*" (tty.c), "*" (look for TODO)" ]]
    for f in $(final_sources); do
        # Put back by the markers, every file is the reference's, byte for byte.
        bash "$REPO_ROOT/scripts/exercise.sh" unblank final "$copy/$f" | cmp - "$REPO_ROOT/final/$f" || bad=1
        grep -q 'lesson final' "$REPO_ROOT/final/$f" && continue
        cmp "$copy/$f" "$REPO_ROOT/final/$f" || { echo "$f has no lesson, yet differs"; bad=1; }
    done
    for f in $(lessons_of final); do
        has_todo final "$f" "$copy"/*.c || { echo "final: $f has no TODO in the blank copy"; bad=1; }
    done
    if command -v clang-format >/dev/null; then
        clang-format --style="file:$REPO_ROOT/.clang-format" --dry-run -Werror "$copy"/*.c || bad=1
    fi
    [ "$bad" = 0 ]
    # The learner's changes are kept, unless FORCE=1, which keeps them in final.bak/.
    echo '/* mine */' >>"$copy/tty.c"
    run make -s -C "$REPO_ROOT" exercise-final
    [ "$status" -ne 0 ]
    [[ "$output" == *"$copy/ has your changes: not overwritten."* ]]
    run make -s -C "$REPO_ROOT" solution-final
    [ "$status" -eq 0 ]
    [[ "$output" == *"+++ final/tty.c (reference)"* ]]
    [[ "$output" == *$'\n-    return runt_fail(err, ENOSYS, "join_container: not written yet");'* ]]
    [[ "$output" == *$'\n-/* mine */'* ]]
    run make -s -C "$REPO_ROOT" exercise-final FORCE=1
    [ "$status" -eq 0 ]
    [ "$(tail -n1 "$copy.bak/tty.c")" = '/* mine */' ]
    [ "$(tail -n1 "$copy/tty.c")" != '/* mine */' ]
}

@test "exercises: make exercise-N keeps the learner's changes unless FORCE=1, and then keeps them as runt.c.bak" {
    local copy="$WORK/03-pivot-root/runt.c"
    run make -s -C "$REPO_ROOT" exercise-3
    [ "$status" -eq 0 ]
    [[ "$output" == "wrote $copy: write pivot_into, populate_dev (look for TODO)"* ]]
    # Unchanged, it is simply still there.
    run make -s -C "$REPO_ROOT" exercise-3
    [ "$status" -eq 0 ]
    [[ "$output" == *"is there already, still blank"* ]]
    echo '/* mine */' >>"$copy"
    run make -s -C "$REPO_ROOT" exercise-3
    [ "$status" -ne 0 ]
    [[ "$output" == *"$copy has your changes: not overwritten."* ]]
    [ "$(tail -n1 "$copy")" = '/* mine */' ]
    run make -s -C "$REPO_ROOT" exercise-3 FORCE=1
    [ "$status" -eq 0 ]
    [ "$(tail -n1 "$copy.bak")" = '/* mine */' ]
    [ "$(tail -n1 "$copy")" != '/* mine */' ]
    run make -s -C "$REPO_ROOT" exercise-9
    [ "$status" -ne 0 ]
    [[ "$output" == *"exercise: no stage 9 "* ]]
}

@test "exercises: make solution-N is the diff from the learner's copy to the reference" {
    run make -s -C "$REPO_ROOT" solution-3
    [ "$status" -ne 0 ]
    [[ "$output" == *"no $WORK/03-pivot-root/runt.c yet: make exercise-3 makes it"* ]]
    make -s -C "$REPO_ROOT" exercise-3
    run make -s -C "$REPO_ROOT" solution-3
    [ "$status" -eq 0 ]
    [[ "$output" == *"+++ 03-pivot-root/runt.c (reference)"* ]]
    [[ "$output" == *$'\n-    fail("pivot_into: not written yet");'* ]]
    [[ "$output" == *$'\n+    if (syscall(SYS_pivot_root, ".", old_root) < 0)'* ]]
    # Once the learner's copy is the reference, there is nothing left to show.
    cp "$REPO_ROOT/03-pivot-root/runt.c" "$WORK/03-pivot-root/runt.c"
    run make -s -C "$REPO_ROOT" solution-3
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
}

@test "exercises: the suites take a learner's copy in work/NN-name/ for stage NN" {
    for n in 1 5; do
        s=$(stage_of "$n")
        run env -u RUNT_STAGE RUNT="$WORK/$s/runt" bash -c 'source "$1/tests/helpers.bash"; echo "$RUNT_STAGE"' _ "$REPO_ROOT"
        [ "$output" = "$n" ]
    done
}

# grade N: make check-N on the blank copy, then on the copy with the reference bodies put
# back. The blank must build and fail every claim that grades its lesson (and say so in the
# report); put back, the copy is the reference, and passes them.
grade() {
    local n=$1 s claims label f
    s=$(stage_of "$n")
    claims=$(lessons_of "$s" | wc -l)
    label=final/
    [ "$n" = final ] || label="Stage $(printf %02d "$n")"
    [ "$(id -u)" = 0 ] || skip "the suites need root"
    make -s -C "$REPO_ROOT" "exercise-$n"
    run make -s -C "$REPO_ROOT" "check-$n" FILTER="${CLAIMS[$n]}"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"# build "* ]]
    [[ "$output" == *$'\n'"$label: 0 of $claims claims hold"$'\n'* ]]
    [ "$(grep -c '^  not yet  ' <<<"$output")" -eq "$claims" ]
    grep -q "^Why a claim does not hold yet: $WORK/$s/check.log" <<<"$output"

    for f in $(if [ "$n" = final ]; then final_sources; else echo runt.c; fi); do
        bash "$REPO_ROOT/scripts/exercise.sh" unblank "$n" "$WORK/$s/$f" >"$WORK/unblanked"
        cmp "$WORK/unblanked" "$REPO_ROOT/$s/$f"
        cp "$WORK/unblanked" "$WORK/$s/$f"
    done
    run make -s -C "$REPO_ROOT" "check-$n" FILTER="${CLAIMS[$n]}"
    echo "$output"
    # The reference must pass: if it does not, say why (the log goes with the test's dir).
    [ "$status" -eq 0 ] || { sed -n '/^not ok/,$p' "$WORK/$s/check.log"; return 1; }
    [[ "$output" == *$'\n'"$label: $claims of $claims claims hold"$'\n'* ]]
    [ "${lines[-1]}" = "$claims passed, 0 failed, 0 skipped" ]
}

@test "exercises: stage 01's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 1; }
@test "exercises: stage 02's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 2; }
@test "exercises: stage 03's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 3; }
@test "exercises: stage 04's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 4; }
@test "exercises: stage 05's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 5; }
@test "exercises: stage 06's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 6; }
@test "exercises: stage 07's blank copy fails the claims of its lesson; the reference bodies pass them" { grade 7; }
@test "exercises: final/'s blank copy fails the claims of its lesson; the reference bodies pass them" { grade final; }
