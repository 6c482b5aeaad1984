#!/usr/bin/env bash
# The exercises: a learner writes the functions that are a stage's lesson, and its suite
# grades them. The Makefile runs this script:
#
#   make exercise-N   blank N      write work/NN-name/runt.c: stage N's runt.c with the
#                                  bodies of its lesson functions replaced by TODOs
#                                  (N = final: work/final/, every file of final/)
#   make check-N      check N      build work/NN-name/runt, run suites 1..N against it,
#                                  then say which of stage N's claims hold and which not yet
#   make solution-N   solution N   diff -u of the learner's copy against the reference
#                     unblank N FILE   print FILE with the reference's lesson bodies put
#                                  back (tests/exercises.bats: the result is the reference)
#
# A lesson function is marked in its stage's runt.c, and the markers are carried unchanged
# into every later stage; only stage N's are blanked by exercise-N:
#
#   /* lesson 03: pivot_into; make exercise-3 blanks its body */
#   static void pivot_into(const char *rootfs)
#   {
#       ...                                     <- replaced
#   }
#   /* end of lesson 03: pivot_into */
#
# The replacement bodies, a TODO comment and the least that compiles under the Makefile's
# -Werror, are in scripts/exercises/NN-name.todo, one "@@ NAME" section per function.
# final/ is one program in several files: its markers say "lesson final", they may sit in
# any of its .c files, and the learner's copy is all of them, in work/final/.
#
# Environment: WORK (the learners' folder, default work/ in the repo), FORCE=1 (blank over
# a copy that has changes, keeping it as runt.c.bak, or as work/final.bak/), FILTER (check:
# only the tests whose names match this regex), CC, CFLAGS and LDLIBS (check: the Makefile
# passes its own).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-$repo/work}
work=$(realpath -m -- "$work")

usage() {
    echo "usage: $0 blank|check|solution N   or   $0 unblank N FILE" >&2
    exit 2
}
die() {
    echo "exercise: $*" >&2
    exit 1
}

# A path as the learner would type it: relative to the repo when it is inside.
show() {
    case "$1" in
    "$repo"/*) echo "${1#"$repo"/}" ;;
    *) echo "$1" ;;
    esac
}

# Files made under sudo belong to the learner who ran it, so that they can edit them.
give_back() {
    if [ -n "${SUDO_UID:-}" ] && [ "$(id -u)" = 0 ]; then
        chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$@" 2>/dev/null || true
    fi
}

[ $# -ge 2 ] || usage
cmd=$1
stage=""
if [ "$2" = final ]; then
    num=final nn=final stage=final
else
    [[ $2 =~ ^[0-9]+$ ]] || die "'$2' is not a stage number, nor final"
    num=$((10#$2))
    nn=$(printf %02d "$num")
    for d in "$repo/$nn"-*/; do [ -d "$d" ] && stage=$(basename "$d"); done
    [ -n "$stage" ] || die "no stage $num (the stages are $(cd "$repo" && echo [0-9][0-9]-*), and final)"
fi
ref_dir=$repo/$stage
todo=$repo/scripts/exercises/$stage.todo
copy_dir=$work/$stage
# The program's sources: a stage is one runt.c; final/ is every .c and .h file in it.
if [ "$stage" = final ]; then
    mapfile -t sources < <(cd "$ref_dir" && ls -- *.c *.h)
    label="final/"
    numbered=("$repo"/[0-9][0-9]-*/)
    last=$(basename "${numbered[-1]}")
    suites="suites 01..${last:0:2} and final/'s own"
else
    sources=(runt.c)
    label="Stage $nn"
    suites="suites 01..$nn"
fi
ref=$ref_dir/runt.c
copy=$copy_dir/runt.c
ref_files=("${sources[@]/#/$ref_dir/}")
# The learner's copy, as messages name it.
what=$copy
[ "$stage" != final ] || what=$copy_dir/
copy_files=("${sources[@]/#/$copy_dir/}")
[ -f "$todo" ] || die "stage $nn has no exercise ($(show "$todo") is missing)"

begin_prefix="/* lesson $nn: "

# The lesson bodies of stage NN in its sources, as "@@ NAME" sections: what unblank puts back.
extract_bodies() {
    awk -v begin="$begin_prefix" -v nn="$nn" '
        index($0, begin) == 1 { name = substr($0, length(begin) + 1); sub(/;.*/, "", name); state = 1; next }
        state == 1 && $0 == "{" { print "@@ " name; n = 0; state = 2; next }
        # At the end marker, buf holds the body and, last, the closing brace.
        state == 2 && $0 == "/* end of lesson " nn ": " name " */" {
            for (i = 1; i < n; i++) print buf[i]
            state = 0
            next
        }
        state == 2 { buf[++n] = $0 }
    ' "$@"
}

# replace_bodies SECTIONS FILE [PART]: FILE with the body of each stage-NN lesson function
# replaced by its section. Fails, naming it, on a marker without a section or (unless PART:
# FILE is one of final's files, which holds some of the sections) the reverse.
replace_bodies() {
    awk -v begin="$begin_prefix" -v nn="$nn" -v sections="$1" -v file="$2" -v part="${3:-}" '
        function fail(msg) { print "exercise: " file ": " msg > "/dev/stderr"; bad = 1; exit 1 }
        FNR == NR {
            if ($0 ~ /^@@ /) { name = substr($0, 4); names[++n] = name; body[name] = ""; blanks = 0; next }
            if (name == "") next # the file header
            if ($0 == "") { blanks++; next } # kept only between lines: sections end clean
            for (; blanks > 0; blanks--) body[name] = body[name] "\n"
            body[name] = body[name] $0 "\n"
            next
        }
        state == 0 && index($0, begin) == 1 {
            cur = substr($0, length(begin) + 1)
            sub(/;.*/, "", cur)
            if (!(cur in body)) fail("lesson " nn ": " cur " has no section in " sections)
            print
            state = 1
            next
        }
        state == 1 { print; if ($0 == "{") { printf "%s", body[cur]; state = 2 }; next }
        state == 2 {
            if ($0 == "/* end of lesson " nn ": " cur " */") {
                if (prev != "}") fail("lesson " nn ": " cur ": no \"}\" line before its end marker")
                print "}"
                print
                done[cur] = 1
                state = 0
            }
            prev = $0
            next
        }
        { print }
        END {
            if (bad) exit 1
            if (state != 0) fail("lesson " nn ": " cur " has no end marker")
            for (i = 1; i <= n && part == ""; i++)
                if (!(names[i] in done)) fail("no lesson " nn " marker for " names[i] " of " sections)
        }
    ' "$1" "$2"
}

# The lesson functions of stage NN, as named by its markers; in final/, with their files.
lesson_names() {
    awk -v begin="$begin_prefix" -v final="$([ "$stage" = final ] && echo 1)" '
        index($0, begin) == 1 {
            s = substr($0, length(begin) + 1)
            sub(/;.*/, "", s)
            if (final) { f = FILENAME; sub(/.*\//, "", f); s = s " (" f ")" }
            print s
        }' "${ref_files[@]}"
}

# blank_into DIR: the learner's fresh copy of every source, written into DIR.
blank_into() {
    local f
    if [ "$stage" != final ]; then
        replace_bodies "$todo" "$ref" >"$1/runt.c"
        return
    fi
    # Each section of the .todo must find its marker in exactly one of final's files.
    local marked sections
    marked=$(lesson_names | sed 's/ (.*//' | sort)
    sections=$(sed -n 's/^@@ //p' "$todo" | sort)
    if [ "$marked" != "$sections" ]; then
        echo "exercise: the lesson final markers in final/ and the sections of $(show "$todo") differ:" >&2
        diff <(echo "$marked") <(echo "$sections") | sed -n 's/^</  only marked:/p; s/^>/  only in the .todo:/p' >&2
        return 1
    fi
    for f in "${sources[@]}"; do
        replace_bodies "$todo" "$ref_dir/$f" part >"$1/$f" || return 1
    done
}

# Is the learner's copy as blank_into DIR wrote it? (Missing files count as changes.)
same_as() {
    local f
    for f in "${sources[@]}"; do
        cmp -s "$1/$f" "$copy_dir/$f" || return 1
    done
}

# Scratch files, removed on every exit.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
new_scratch() {
    scratch+=("$(mktemp)")
}

cmd_blank() {
    local fresh names
    fresh=$(mktemp -d)
    scratch+=("$fresh")
    blank_into "$fresh" || exit 1
    names=$(lesson_names | paste -sd, | sed 's/,/, /g')
    if [ -d "$copy_dir" ] && [ -n "$(ls -A "$copy_dir")" ]; then
        if same_as "$fresh"; then
            echo "$(show "$what") is there already, still blank: write $names in it"
            return 0
        fi
        if [ "${FORCE:-}" != 1 ]; then
            echo "exercise: $(show "$what") has your changes: not overwritten." >&2
            echo "exercise: FORCE=1 make exercise-$num starts again, keeping yours as $(show "${what%/}").bak" >&2
            exit 1
        fi
        if [ "$stage" = final ]; then
            rm -rf "$copy_dir.bak" && cp -a "$copy_dir" "$copy_dir.bak" || exit 1
        else
            cp -p "$copy" "$copy.bak" || exit 1
        fi
        echo "kept your previous copy as $(show "${what%/}").bak"
    fi
    mkdir -p "$copy_dir" || exit 1
    give_back "$work" "$copy_dir"
    cp "${sources[@]/#/$fresh/}" "$copy_dir/" || exit 1
    give_back "${copy_files[@]}"
    echo "wrote $(show "$what"): write $names (look for TODO)"
    echo "then: sudo make check-$num to test it, make solution-$num to compare with the reference"
}

# Every source that the learner has, against the reference: diff(1)'s status, at most 1.
cmd_solution() {
    local f rc=0
    [ -f "${copy_files[0]}" ] || die "no $(show "$what") yet: make exercise-$num makes it"
    echo "# what the reference does differently: - your copy, + the reference"
    for f in "${sources[@]}"; do
        diff -u --label "$(show "$copy_dir/$f") (yours)" --label "$stage/$f (reference)" \
            "$copy_dir/$f" "$ref_dir/$f"
        [ $? -le 1 ] || rc=2
    done
    return "$rc"
}

cmd_unblank() {
    local file=$1 sections
    [ -f "$file" ] || die "no $file"
    new_scratch
    sections=${scratch[-1]}
    extract_bodies "${ref_files[@]}" >"$sections"
    replace_bodies "$sections" "$file" "$([ "$stage" = final ] && echo part)"
}

# The report after the suites ran: stage N's claims one by one (those that do not hold yet
# first), then the earlier stages' in one line unless some of theirs broke.
report() {
    awk -v nn="$nn" -v label="$label" '
        /^(not )?ok / {
            line = $0
            sub(/^(not )?ok [0-9]+ /, "", line)
            verdict = $1 != "ok" ? "not yet" : line ~ / # skip/ ? "skipped" : "holds"
            sub(/ # skip.*/, "", line)
            if (substr(line, 1, length(nn) + 2) == nn ": ") {
                claims[verdict] = claims[verdict] sprintf("  %-8s %s\n", verdict, substr(line, length(nn) + 3))
                count[verdict]++
                total++
            } else if (verdict == "not yet") {
                sub(/^- /, "", line) # "bats stopped after N of M tests"
                broken = broken "  not yet  " line "\n"
            } else if (verdict == "holds") {
                earlier++
            }
        }
        /^[0-9]+ passed, [0-9]+ failed/ { summary = $0 }
        END {
            printf "%s: %d of %d claims hold\n", label, count["holds"], total
            printf "%s%s%s", claims["not yet"], claims["holds"], claims["skipped"]
            if (broken != "")
                printf "Earlier stages, or a suite that stopped: these no longer hold\n%s", broken
            else if (earlier > 0)
                printf "Earlier stages: all %d claims that ran still hold\n", earlier
            print summary
        }
    ' "$1"
}

# Kill, by pid, what the suites left running: the processes that carry this check's mark.
reap() {
    local mark=$1 f pid killed=()
    for f in /proc/[0-9]*/environ; do
        grep -qzxF "$mark" "$f" 2>/dev/null || continue
        pid=${f#/proc/}
        pid=${pid%/environ}
        kill -KILL "$pid" 2>/dev/null && killed+=("$pid ($(cat "/proc/$pid/comm" 2>/dev/null))")
    done
    if [ ${#killed[@]} -gt 0 ]; then
        echo "check: killed what the tests left running: ${killed[*]}"
    fi
}

stop_after_interrupt() {
    local runner=$1 mark=$2 log=$3 _
    for _ in 1 2 3 4 5 6; do
        kill -0 "$runner" 2>/dev/null || break
        sleep 0.5
    done
    reap "$mark"
    give_back "$log"
    echo "check: interrupted; what ran is in $(show "$log")" >&2
    exit 130
}

cmd_check() {
    local bin=$copy_dir/runt log=$copy_dir/check.log mark status f
    [ -f "${copy_files[0]}" ] || die "no $(show "$what") yet: make exercise-$num makes it"
    for f in "${copy_files[@]}"; do
        [ -f "$f" ] || die "no $(show "$f"): FORCE=1 make exercise-$num writes a fresh copy"
    done
    [ "$(id -u)" = 0 ] || die "the suites need root: sudo make check-$num"
    [ -n "${CFLAGS:-}" ] || die "CFLAGS is not set: run it as make check-$num"
    echo "# build $(show "$bin")"
    local units=()
    for f in "${copy_files[@]}"; do [[ $f == *.c ]] && units+=("$f"); done
    # shellcheck disable=SC2086 # CFLAGS and LDLIBS are lists of words
    ${CC:-cc} $CFLAGS -o "$bin" "${units[@]}" ${LDLIBS:-} ||
        die "$(show "${units[0]}")$([ ${#units[@]} -eq 1 ] || echo " and the rest") does not build: fix the errors above"
    give_back "$bin"

    # The suites run in a mount namespace of their own, a slave of the host's: a mount that
    # a broken exercise lets escape its container lands there, where the suite sees it
    # (shared, as systemd makes /), and goes when the check ends, never on the host.
    # Every process the suites start carries RUNT_CHECK=<mark> in its environment: what is
    # still running afterwards (a child that nobody waited for) is killed by pid.
    mark="RUNT_CHECK=$$.$(date +%s%N)"
    local filter=() only=""
    if [ -n "${FILTER:-}" ]; then
        filter=(--filter "$FILTER")
        only=" (only the tests matching: $FILTER)"
    fi
    echo "# $suites against $(show "$bin")$only; details in $(show "$log")"
    : >"$log"
    env "$mark" unshare --mount --propagation slave -- bash -c 'mount --make-rshared / && exec "$@"' _ \
        bash "$repo/scripts/run-tests.sh" --runt "$bin" "${filter[@]}" "$num" >"$log" 2>&1 &
    local runner=$!
    # Ctrl-C reaches the suites too. Give bats a moment to run the test's teardown, then
    # end whatever carries the mark, bats included (it can wait minutes for a timeout).
    trap 'stop_after_interrupt "$runner" "$mark" "$log"' INT TERM
    # Progress while it runs: one line per test.
    tail -n +1 --pid="$runner" -f "$log" 2>/dev/null | grep --line-buffered -E '^(not )?ok '
    wait "$runner"
    status=$?
    trap - INT TERM
    give_back "$log"
    reap "$mark"
    echo
    report "$log"
    if [ "$status" != 0 ]; then
        echo "Why a claim does not hold yet: $(show "$log"); leftovers on the host: sudo make cleanup"
    fi
    return "$status"
}

case "$cmd" in
blank) [ $# -eq 2 ] || usage; cmd_blank ;;
check) [ $# -eq 2 ] || usage; cmd_check ;;
solution) [ $# -eq 2 ] || usage; cmd_solution ;;
unblank) [ $# -eq 3 ] || usage; cmd_unblank "$3" ;;
*) usage ;;
esac
