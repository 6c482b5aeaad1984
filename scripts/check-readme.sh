#!/usr/bin/env bash
# Run the examples of a chapter and compare their output with what the chapter shows.
#
#   scripts/check-readme.sh NN-stage/README.md...
#
# Every ```console block of the file is run, wherever it is (the core path's "Run it" and
# the examples under "Going deeper" alike); ```sh blocks are shown, never run. In a block:
#   - a line starting with "$ " is a command (a trailing "\" continues it on the next line);
#   - the lines after it, up to the next command or the end of the block, are its expected
#     output, stdout and stderr together;
#   - a line that is exactly "..." matches any number of lines, and "..." inside a line
#     matches any text within it; the rest is literal; trailing blanks are ignored.
# A block right after the line "<!-- check-readme: needs apparmor -->" runs only where
# AppArmor is enabled and apparmor_parser is installed; elsewhere it is skipped, with the
# reason. CHECK_README_ONLY=apparmor runs only such blocks.
# The commands of one block run in one bash, as root, with "sudo" a no-op, from a scratch
# directory that looks like the repository root: the stage folders and tests/ of this
# repository, and images/busybox as a throwaway copy. RUNT_ROOT is a fresh state root that
# must be empty of containers afterwards. Exits non-zero if any command's output differs.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 README.md..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "check-readme: must run as root (the examples use sudo)" >&2; exit 2; }
[ -x "$repo/images/busybox/bin/busybox" ] || { echo "check-readme: no images/busybox (run: make image)" >&2; exit 2; }

# Expected text -> bash glob pattern: quote glob characters, then turn "..." into "*".
glob_line() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\*/\\*}
    s=${s//\?/\\?}
    s=${s//\[/\\[}
    printf '%s' "${s//.../*}"
}

# Normalise output: no CR, no trailing blanks on a line, no trailing empty lines.
normalise() {
    sed -e 's/\r$//' -e 's/[[:space:]]*$//' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
}

# matches EXPECTED ACTUAL: whole-output match with the "..." rules above.
matches() {
    local pat='' line first=1 after_wild=0
    while IFS= read -r line; do
        line=${line%"${line##*[![:space:]]}"}
        if [ "$line" = ... ]; then
            pat+='*'
            after_wild=1
        else
            # A line after a "..." line needs its newline unless "..." opened the output.
            if [ "$first" = 0 ] && { [ "$after_wild" = 0 ] || [ "$pat" != '*' ]; }; then
                pat+=$'\n'
            fi
            pat+=$(glob_line "$line")
            after_wild=0
        fi
        first=0
    done <<<"$1"
    [ -z "$1" ] && pat=''
    # shellcheck disable=SC2053 # $pat is a pattern on purpose
    [[ $2 == $pat ]]
}

# Split a chapter's console blocks into files: block-N.cmd.M (command M of block N),
# block-N.exp.M (its expected output) and, for a block that needs a feature of the
# machine, block-N.needs (the feature's name).
split_blocks() {
    awk -v dir="$2" '
        /^```console[[:space:]]*$/ {
            blk++; cmd = 0; inblk = 1; cont = 0
            if (needs != "") printf "%s", needs > (dir "/block-" blk ".needs")
            needs = ""
            next
        }
        inblk && /^```[[:space:]]*$/ { inblk = 0; next }
        !inblk {
            if ($0 ~ /^<!-- check-readme: needs [a-z]+ -->[[:space:]]*$/) { needs = $4 }
            else if ($0 !~ /^[[:space:]]*$/) { needs = "" }
            next
        }
        cont { printf "\n%s", $0 > (dir "/block-" blk ".cmd." cmd); cont = /\\$/; next }
        /^\$ / {
            cmd++
            printf "%s", substr($0, 3) > (dir "/block-" blk ".cmd." cmd)
            printf "" > (dir "/block-" blk ".exp." cmd)
            cont = /\\$/
            next
        }
        cmd { print > (dir "/block-" blk ".exp." cmd) }
    ' "$1"
}

# Why a block that needs FEATURE cannot run here (nothing when it can).
missing() {
    case "$1" in
    apparmor)
        if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
            echo "AppArmor is not enabled in this kernel (/sys/module/apparmor/parameters/enabled is not Y)"
        elif ! command -v apparmor_parser >/dev/null; then
            echo "apparmor_parser is not installed (package apparmor)"
        fi
        ;;
    esac
}

# A scratch directory that looks like the repository root.
make_scratch() {
    local d=$1 f
    for f in "$repo"/[0-9][0-9]-* "$repo"/final "$repo"/tests "$repo"/scripts "$repo"/docs \
        "$repo"/Makefile "$repo"/README.md; do
        [ -e "$f" ] && ln -s "$f" "$d/"
    done
    mkdir -p "$d/images" "$d/state"
    cp -a "$repo/images/busybox" "$d/images/busybox"
}

# No mount may stay below the scratch dir before it is removed.
remove_scratch() {
    local d=$1 m
    while read -r m; do
        echo "check-readme: a mount was left at $m" >&2
        umount -l "$m"
        failures=$((failures + 1))
    done < <(awk -v d="$d" 'index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
    rm -rf "$d"
}

failures=0
for readme in "$@"; do
    readme=$(realpath "$readme")
    work=$(mktemp -d /tmp/runt-readme.XXXXXX)
    trap 'remove_scratch "$work"' EXIT
    mkdir "$work/blocks" "$work/root"
    make_scratch "$work/root"
    split_blocks "$readme" "$work/blocks"
    name=${readme#"$repo"/}
    nblocks=$(find "$work/blocks" -name 'block-*.cmd.1' | wc -l)
    if [ "$nblocks" = 0 ] && [ -z "${CHECK_README_ONLY:-}" ]; then
        echo "FAIL $name: no \`\`\`console block"
        failures=$((failures + 1))
    fi
    for ((b = 1; b <= nblocks; b++)); do
        needs=$(cat "$work/blocks/block-$b.needs" 2>/dev/null)
        [ -z "${CHECK_README_ONLY:-}" ] || [ "$needs" = "$CHECK_README_ONLY" ] || continue
        if [ -n "$needs" ] && [ "$needs" != apparmor ]; then
            echo "FAIL $name block $b: needs '$needs', a feature check-readme does not know"
            failures=$((failures + 1))
            continue
        elif [ -n "$needs" ]; then
            why=$(missing "$needs")
            if [ -n "$why" ]; then
                echo "skip $name block $b: \$ $(head -n1 "$work/blocks/block-$b.cmd.1"): $why"
                continue
            fi
        fi
        script="$work/blocks/block-$b.sh"
        {
            echo 'sudo() { "$@"; }'
            echo "cd '$work/root' || exit 99"
            echo "export RUNT_ROOT='$work/root/state'"
            for ((c = 1; ; c++)); do
                f="$work/blocks/block-$b.cmd.$c"
                [ -f "$f" ] || break
                printf 'printf "\\n@@check-readme %%d@@\\n" %d\n' "$c"
                printf '{\n%s\n} 2>&1\n' "$(cat "$f")"
            done
        } >"$script"
        timeout 300 bash "$script" >"$work/blocks/block-$b.out" 2>&1 </dev/null
        for ((c = 1; ; c++)); do
            f="$work/blocks/block-$b.cmd.$c"
            [ -f "$f" ] || break
            actual=$(awk -v c="$c" '/^@@check-readme [0-9]+@@$/ { on = ($2 == c "@@") ; next } on' \
                "$work/blocks/block-$b.out" | normalise)
            expected=$(normalise <"$work/blocks/block-$b.exp.$c")
            if matches "$expected" "$actual"; then
                echo "ok   $name block $b: \$ $(head -n1 "$f")"
            else
                echo "FAIL $name block $b: \$ $(cat "$f")"
                diff -u --label expected --label actual <(printf '%s\n' "$expected") \
                    <(printf '%s\n' "$actual") | sed 's/^/     /'
                failures=$((failures + 1))
            fi
        done
        left=$(find "$work/root/state" -mindepth 2 -maxdepth 2 2>/dev/null | head -n3)
        if [ -n "$left" ]; then
            echo "FAIL $name block $b: left state behind: $left"
            failures=$((failures + 1))
        fi
    done
    remove_scratch "$work"
    trap - EXIT
done
echo "check-readme: $failures failed"
[ "$failures" = 0 ]
