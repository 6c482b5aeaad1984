#!/usr/bin/env bats
# final/: what the merged runtime adds to the stages. Each test looks from inside the
# container and from the host.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() { runt_setup; }
teardown() { runt_teardown; }

DEFAULT_MASK=00000000a80425fb

# The id of the background container, from its -v narration.
bg_id() {
    wait_for "grep -q '^=> container ' '$SCRATCH/bg.err'"
    sed -n 's/^=> container //p' "$SCRATCH/bg.err"
}

# in_pty COMMAND: run it in a pseudo-terminal (script(1)); its output is the terminal's.
in_pty() {
    script -qec "$1" /dev/null
}

# --- the environment -----------------------------------------------------------------

@test "final: the environment is clean: PATH, HOSTNAME and HOME only" {
    RUNT_TEST_VAR=leak run runt_run --hostname web -- env
    [ "$status" -eq 0 ]
    [ "$(sort <<<"$output")" = "$(printf 'HOME=/root\nHOSTNAME=web\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')" ]
}

@test "final: -e sets and overrides variables; -e K takes the caller's value" {
    RUNT_FROM_CALLER='a b' run runt_run -e FOO=bar --env HOME=/home/x -e RUNT_FROM_CALLER \
        -e RUNT_UNSET_XYZ -e 'EQ=x=y' -- sh -c 'echo "$FOO|$HOME|$RUNT_FROM_CALLER|${RUNT_UNSET_XYZ-unset}|$EQ"'
    [ "$status" -eq 0 ]
    [ "$output" = "bar|/home/x|a b|unset|x=y" ]
}

@test "final: -w sets the working directory, creating it if the image lacks it" {
    run runt_run -w /srv/app -- pwd
    [ "$status" -eq 0 ]
    [ "$output" = /srv/app ]
    run runt_run -w relative -- pwd
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --workdir: 'relative' must be absolute" ]
}

@test "final: empty values of final's own options are refused by name, and nothing is created" {
    for opt in --env --workdir --user --volume; do
        run "$RUNT" run "$opt" '' "$(test_rootfs)" true
        echo "$opt -> $status: $output"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "runt: $opt: '' "* ]]
    done
    [ ! -e "$RUNT_ROOT" ]
}

@test "final: a bad letter in an option group is named (-xv)" {
    run "$RUNT" run -xv true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: unknown option '-x' (try: runt --help)" ]
}

# --- users and capabilities ----------------------------------------------------------

@test "final: --security-opt apparmor=PROFILE confines the command and exec; refused where AppArmor is off" {
    run runt_run --security-opt seccomp=unconfined -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --security-opt: 'seccomp=unconfined' is not supported (only apparmor=PROFILE)" ]
    run runt_run --security-opt apparmor= -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --security-opt: apparmor= needs a profile name" ]
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
        run runt_run --security-opt apparmor=runt-test -- true
        [ "$status" -eq 125 ]
        [ "$output" = "runt: --security-opt: apparmor=runt-test: AppArmor is not enabled on this host" ]
        [ ! -e "$RUNT_ROOT/containers" ] || [ -z "$(ls -A "$RUNT_ROOT/containers")" ]
        return 0
    fi
    # An AppArmor host (the Vagrant box): chapter 07's profile, under a name of this test's.
    command -v apparmor_parser >/dev/null || skip "AppArmor is on, but apparmor_parser is not installed"
    local name="runt-test-$$"
    printf '%s\n' "profile $name flags=(attach_disconnected) {" '  file,' '  capability,' \
        '  deny /etc/hostname r,' '}' >"$SCRATCH/profile"
    apparmor_parser -r "$SCRATCH/profile"
    start_container -v --security-opt "apparmor=$name" -- sh -c 'cat /proc/self/attr/current; cat /etc/hostname; echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    run "$RUNT" exec "$id" cat /proc/self/attr/current
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
    apparmor_parser -R "$SCRATCH/profile"
    [ "$output" = "$name (enforce)" ]
    [ "$(head -n1 "$SCRATCH/bg.out")" = "$name (enforce)" ]
    grep -q "can't open '/etc/hostname': Permission denied" "$SCRATCH/bg.err"
}

@test "final: -u UID:GID runs as that user, with empty effective and permitted sets" {
    run runt_run -u 1000:1001 -- sh -c 'id -u; id -g; grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status | tr "\t\n" ": "; echo; echo $HOME'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1001 ]
    [ "${lines[2]}" = "CapInh::0000000000000000 CapPrm::0000000000000000 CapEff::0000000000000000 CapBnd::$DEFAULT_MASK CapAmb::0000000000000000 " ]
    [ "${lines[3]}" = / ]
    # No supplementary group of runt's caller is left.
    run runt_run -u 1000 -- sh -c 'id -G'
    [ "$output" = 0 ]
}

@test "final: -u takes numbers only, and a user cannot write what root owns" {
    run runt_run -u nobody -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --user: 'nobody' is not a number" ]
    run runt_run -u 1000 -- sh -c 'touch /etc/x'
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
}

# --- the root and volumes ------------------------------------------------------------

@test "final: --read-only makes / read-only; /dev/shm stays writable" {
    run runt_run --read-only -- sh -c 'grep -E "^[^ ]+ / " /proc/mounts; touch /x'
    [ "$status" -ne 0 ]
    [[ "${lines[0]}" == *" ro,nodev,"* ]]
    [[ "$output" == *"/x: Read-only file system"* ]]
    run runt_run --read-only -- sh -c 'echo x >/dev/shm/x && cat /dev/shm/x'
    [ "$output" = x ]
}

@test "final: -v HOST:CTR binds a directory, nosuid and nodev; writes reach the host" {
    mkdir "$SCRATCH/vol"
    echo from-host >"$SCRATCH/vol/in"
    run runt_run -v "$SCRATCH/vol:/data/vol" -- sh -c 'cat /data/vol/in; echo from-ctr >/data/vol/out; grep " /data/vol " /proc/mounts'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = from-host ]
    [[ "${lines[1]}" == *" rw,nosuid,nodev"* ]]
    [ "$(cat "$SCRATCH/vol/out")" = from-ctr ]
    # The mount point was made in the container's upper layer, never in the image.
    [ ! -e "$(test_rootfs)/data" ]
}

@test "final: -v HOST:CTR:ro is read-only, and --volume binds a single file" {
    mkdir "$SCRATCH/vol"
    echo hosts-file >"$SCRATCH/file"
    run runt_run --volume "$SCRATCH/vol:/ro:ro" --volume "$SCRATCH/file:/etc/bound" -- sh -c 'cat /etc/bound; touch /ro/x'
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = hosts-file ]
    [[ "$output" == *"/ro/x: Read-only file system"* ]]
    [ ! -e "$SCRATCH/vol/x" ]
}

@test "final: a missing host path, '..' and a symlink out of the root are refused" {
    run runt_run -v "$SCRATCH/nope:/x" -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --volume: host path $SCRATCH/nope: No such file or directory" ]
    [ ! -e "$RUNT_ROOT" ]
    mkdir "$SCRATCH/vol"
    run runt_run -v "$SCRATCH/vol:/tmp/../../x" -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --volume: container path '/tmp/../../x' must not contain '..'" ]
    # Symlinks planted in the image, one absolute and one relative, both leading out.
    ln -s / "$(test_rootfs)/hostroot"
    ln -s ../../../../../tmp "$(test_rootfs)/up"
    for target in /hostroot/runt-escape /up/runt-escape; do
        run runt_run -v "$SCRATCH/vol:$target" -- true
        echo "$target -> $status: $output"
        [ "$status" -eq 125 ]
        [ "$output" = "runt: $target escapes the container's root (through '..' or a symlink)" ]
    done
    [ ! -e /runt-escape ]
    [ ! -e /tmp/runt-escape ]
}

# --- fds, errors, parent death -------------------------------------------------------

@test "final: no fd of the caller reaches the command" {
    mkdir "$SCRATCH/secret-dir"
    echo secret >"$SCRATCH/secret-dir/secret"
    exec 7<"$SCRATCH/secret-dir"
    run runt_run -- sh -c 'ls /proc/self/fd | tr "\n" " "; echo; cat /proc/self/fd/7/secret'
    exec 7<&-
    [ "$status" -ne 0 ]
    # 0 1 2, and the directory ls itself has open.
    [ "${lines[0]}" = "0 1 2 3 " ]
    ! grep -qx secret <<<"$output"
}

@test "final: a failed setup step in the init is one line, exit 125, nothing left" {
    run runt_run -v --read-only -w /new/dir -- true
    [ "$status" -eq 125 ]
    [ "$(grep -c '^runt: ' <<<"$output")" -eq 1 ]
    grep -qx "runt: workdir /new/dir: Read-only file system" <<<"$output"
    [[ "$output" == *"=> runt failed (not the command): exit 125"* ]]
    # A command that exits 125 itself is told apart by -v.
    run runt_run -v -- sh -c 'exit 125'
    [ "$status" -eq 125 ]
    [[ "$output" == *"=> child exited with 125"* ]]
    [[ "$output" != *"runt: "* ]]
}

@test "final: runt as PID 1 of its own PID namespace still cleans up after a failed init" {
    run unshare -pf --mount-proc env RUNT_ROOT="$RUNT_ROOT" "$RUNT" run --read-only -w /new "$(test_rootfs)" true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: workdir /new: Read-only file system" ]
}

@test "final: SIGKILL of runt kills its container at once (PR_SET_PDEATHSIG)" {
    start_container -v -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    [ -n "$pid1" ]
    kill -KILL "$BG_PID"
    wait_for "! kill -0 $pid1 2>/dev/null"
    # runt could not clean up: what it left is its state dir and cgroup, which cleanup removes.
    [ -d "$RUNT_ROOT/containers/$id" ]
    run bash "$REPO_ROOT/scripts/cleanup.sh" --root "$RUNT_ROOT"
    [ "$status" -eq 0 ]
}

# --- state: list, kill, exec ---------------------------------------------------------

@test "final: state.json records the running container; list shows it; both go at exit" {
    start_container -v -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    state="$RUNT_ROOT/containers/$id/state.json"
    grep -q "\"pid\": $pid1," "$state"
    grep -q '"status": "running"' "$state"
    grep -q "\"start_time\": $(awk '{print $22}' "/proc/$pid1/stat")," "$state"
    run "$RUNT" list
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "ID "*"PID "*"STATUS "* ]]
    [[ "${lines[1]}" == "$id "*" $pid1 "*" running "*"sh -c echo ready; sleep 100" ]]
    kill -KILL "$pid1"
    wait_container
    run "$RUNT" list
    [ "${#lines[@]}" -eq 1 ]
}

@test "final: runt kill sends signals by name and number, through a pidfd" {
    start_container -v -- sh -c 'trap "echo got-USR1" USR1; trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    run "$RUNT" kill "$id" SIGUSR1
    [ "$status" -eq 0 ]
    wait_for "grep -q got-USR1 '$SCRATCH/bg.out'"
    run "$RUNT" kill "$id" 15
    [ "$status" -eq 0 ]
    wait_container
    [ "$status" -eq 9 ]
    run "$RUNT" kill "$id" KILL
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container $id does not exist in $RUNT_ROOT" ]
    run "$RUNT" kill ../etc
    [ "$output" = "runt: '../etc' is not a container id" ]
}

@test "final: runt kill refuses a bad signal, and a container whose init is gone" {
    run runt_run --keep -v -- true
    id=$(sed -n 's/^=> container //p' <<<"$output")
    run "$RUNT" kill "$id" NOSUCH
    [ "$status" -eq 125 ]
    [ "$output" = "runt: kill: 'NOSUCH' is not a signal (try TERM, KILL or 9)" ]
    run "$RUNT" kill "$id"
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container not running: $id" ]
    run "$RUNT" list
    [[ "${lines[1]}" == "$id "*" stopped "* ]]
    rm -rf "${RUNT_ROOT:?}/containers/$id"
}

@test "final: runt exec joins every namespace and the cgroup, as the same user, filtered" {
    start_container -v -u 1000:1000 -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    run "$RUNT" exec "$id" sh -c 'for ns in ipc uts net pid mnt cgroup; do [ "$(readlink /proc/1/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] || echo "not in $ns"; done
        id -u; ps -o pid= | head -n1; ls /proc/self/fd | tr "\n" " "; echo
        grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr "\t\n" ": "; echo; cat /proc/self/cgroup | grep -v ":/$" | wc -l'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "$(echo "${lines[1]}" | tr -d ' ')" = 1 ]
    [ "${lines[2]}" = "0 1 2 3 " ]
    [ "${lines[3]}" = "CapEff::0000000000000000 NoNewPrivs::1 Seccomp::2 " ]
    [ "${lines[4]}" = 0 ]
    run "$RUNT" exec "$id" sh -c 'exit 7'
    [ "$status" -eq 7 ]
    run -127 "$RUNT" exec "$id" /no/such
    [ "$output" = "runt: exec /no/such: No such file or directory" ]
    run "$RUNT" exec nosuch true
    [ "$status" -eq 125 ]
    kill -KILL "$pid1"
    wait_container
}

# --- the terminal --------------------------------------------------------------------

@test "final: -t gives a terminal from the container's devpts, TERM, and the exit status" {
    run in_pty "stty rows 33 cols 77; '$RUNT' run -t '$(test_rootfs)' sh -c 'tty; echo \$TERM; stty size; readlink /proc/self/fd/0; exit 3'"
    echo "$output"
    [ "$status" -eq 3 ]
    [[ "$output" == *"/dev/pts/0"* ]]
    [[ "$output" == *"xterm"* ]]
    [[ "$output" == *"33 77"* ]]
}

@test "final: -t relays input and output; the caller's terminal is restored on every exit" {
    run in_pty "stty -g >'$SCRATCH/before'; printf 'echo in-\$((40+2))\nexit 4\n' | '$RUNT' run -t '$(test_rootfs)' sh; echo status=\$?; stty -g >'$SCRATCH/after'"
    echo "$output"
    [[ "$output" == *"in-42"* ]]
    [[ "$output" == *"status=4"* ]]
    [ "$(cat "$SCRATCH/before")" = "$(cat "$SCRATCH/after")" ]
    # A failure after the terminal was set up, and a container killed from outside.
    run in_pty "stty -g >'$SCRATCH/before'; '$RUNT' run -t --read-only -w /nope '$(test_rootfs)' true; echo status=\$?; stty -g >'$SCRATCH/after'"
    [[ "$output" == *"status=125"* ]]
    [ "$(cat "$SCRATCH/before")" = "$(cat "$SCRATCH/after")" ]
}

@test "final: -t forwards a window size change (SIGWINCH)" {
    run in_pty "stty rows 20 cols 60; '$RUNT' run -t '$(test_rootfs)' sh -c 'trap \"stty size\" WINCH; echo ready; sleep 5; stty size' </dev/null & sleep 2; stty rows 44 cols 88; kill -WINCH \$!; wait"
    echo "$output"
    [[ "$output" == *"44 88"* ]]
}

@test "final: runt exec -t gives the new process a terminal too" {
    start_container -v -- sh -c 'echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    run in_pty "'$RUNT' exec -t '$id' sh -c 'tty; exit 6'"
    [ "$status" -eq 6 ]
    [[ "$output" == *"/dev/pts/"* ]]
    kill -KILL "$(child_of "$BG_PID")"
    wait_container
}

# --- user namespace ------------------------------------------------------------------

# --userns needs a state root whose filesystem takes user.* xattrs (overlayfs keeps its
# whiteouts there in a user namespace): tmpfs only from Linux 6.6, as in the v2 VM's 6.1.
userns_or_skip() {
    run "$RUNT" run --userns "$(test_rootfs)" true
    if [[ "$output" == *"cannot hold user.* xattrs"* ]]; then
        skip "the state root's filesystem takes no user.* xattrs (tmpfs before Linux 6.6)"
    fi
    [ "$status" -eq 0 ] || { echo "runt run --userns: $output"; return 1; }
}

@test "final: --userns: root inside is uid 100000 outside; the image's files are root's inside" {
    userns_or_skip
    start_container -v --userns -- sh -c 'id -u; cat /proc/self/uid_map; stat -c "%u %g" /bin/busybox; echo new >/etc/new && echo >>/etc/os-release && echo copied-up; echo ready; sleep 100'
    id=$(bg_id)
    wait_for "grep -q ready '$SCRATCH/bg.out'"
    pid1=$(child_of "$BG_PID")
    [ "$(stat -c %u "/proc/$pid1")" = 100000 ]
    # runt exec joins the user namespace too.
    [ "$("$RUNT" exec "$id" cat /proc/self/uid_map | tr -s ' ')" = " 0 100000 65536" ]
    run cat "$SCRATCH/bg.out"
    [ "${lines[0]}" = 0 ]
    [ "$(echo "${lines[1]}" | tr -s ' ')" = " 0 100000 65536" ]
    [ "${lines[2]}" = "0 0" ]
    [ "${lines[3]}" = copied-up ]
    # The image itself is untouched and still root's on the host.
    [ "$(stat -c %u "$(test_rootfs)/bin/busybox")" = 0 ]
    [ ! -e "$(test_rootfs)/etc/new" ]
    kill -KILL "$pid1"
    wait_container
}

@test "final: --userns: a host file of mode 600 owned by root cannot be read inside" {
    userns_or_skip
    mkdir "$SCRATCH/vol"
    echo secret >"$SCRATCH/vol/secret"
    chmod 600 "$SCRATCH/vol/secret"
    run runt_run --userns -v "$SCRATCH/vol:/v" -- cat /v/secret
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
    # Without --userns the container's root is the host's, and reads it.
    run runt_run -v "$SCRATCH/vol:/v" -- cat /v/secret
    [ "$output" = secret ]
}

@test "final: --userns: /dev, the overlay's deletions and the cgroup limits still work" {
    userns_or_skip
    prog=$(test_prog forkbomb)
    run runt_run --userns --pids 20 -- sh -c "echo x >/dev/null && head -c 4 /dev/zero | wc -c; rm -rf /etc && mkdir /etc && ls -A /etc | wc -l; $prog 1000"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 4 ]
    [ "${lines[1]}" = 0 ]
    forked=$(sed -n 's/^forked //p' <<<"$output")
    [ "$((forked + 1))" -le 20 ]
    [[ "$output" == *"fork failed: Resource temporarily unavailable"* ]]
    run runt_run --userns=0 -- true
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --userns: the host id must not be 0 (that is host root)" ]
}

@test "final: --userns: an image where idmapping is refused (ramfs) is copied, owners shifted" {
    userns_or_skip
    mkdir "$SCRATCH/ramfs"
    run unshare -m --propagation private bash -c "mount -t ramfs ramfs '$SCRATCH/ramfs' &&
        cp -a '$(test_rootfs)' '$SCRATCH/ramfs/img' && chmod u+s '$SCRATCH/ramfs/img/bin/busybox' &&
        '$RUNT' run -v --userns '$SCRATCH/ramfs/img' sh -c 'stat -c \"%u %g %A\" /bin/busybox; echo x >/etc/x && echo copied-up'"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\n'"0 0 -rwsr-xr-x"$'\n'* ]]
    [[ "$output" == *copied-up* ]]
    [[ "$output" == *"=> copy $SCRATCH/ramfs/img to $RUNT_ROOT/containers/"*"/lower, owners shifted"* ]] ||
        skip "this kernel idmaps ramfs: the copy was not needed"
}

@test "final: --userns refuses to bind a host device node that the container's ids own" {
    # A host /dev/null owned by 100000 (seen once on this machine, made by some other
    # runtime) would be the container root's to chmod. Faked in a private mount namespace.
    touch "$SCRATCH/fake-null"
    chown 100000:100000 "$SCRATCH/fake-null"
    run unshare -m --propagation private bash -c "mount --bind '$SCRATCH/fake-null' /dev/null &&
        '$RUNT' run --userns '$(test_rootfs)' true"
    [ "$status" -eq 125 ]
    [ "$output" = "runt: --userns: the host's /dev/null belongs to 100000:100000, which the container maps: it could change it (chown it back to root)" ]
    [ ! -e "$RUNT_ROOT" ]
    [ "$(stat -c %u /dev/null)" = 0 ]
}

@test "final: --userns refuses a state root whose filesystem takes no user.* xattrs (ramfs)" {
    mkdir "$SCRATCH/ramfs"
    run unshare -m --propagation private bash -c "mount -t ramfs ramfs '$SCRATCH/ramfs' &&
        '$RUNT' run --userns --root '$SCRATCH/ramfs/state' '$(test_rootfs)' true; echo status=\$?;
        ls -A '$SCRATCH/ramfs/state/containers'"
    echo "$output"
    [ "${lines[0]}" = "runt: --userns: $SCRATCH/ramfs/state cannot hold user.* xattrs, which overlayfs needs in a user namespace (tmpfs before Linux 6.6): use --root on another filesystem" ]
    [ "${lines[1]}" = status=125 ]
    [ "${#lines[@]}" -eq 2 ]
}
