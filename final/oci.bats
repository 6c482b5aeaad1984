#!/usr/bin/env bats
# final/ as an OCI runtime: runc's command line on bundles made here (runt spec, then jq):
# the lifecycle (create, start, state, kill, delete, run), exec, the console socket, what
# config.json asks for, seen from inside and outside, and the errors, each one line that names
# what was wrong, with nothing left behind.
bats_require_minimum_version 1.5.0

load ../tests/helpers

setup() {
    runt_setup
    command -v jq >/dev/null || skip "jq is not installed (the tests write config.json with it)"
    BUNDLE=$SCRATCH/bundle
    NETNS=""
}

# A failed test may leave containers: report them, then delete them (their cgroups are the
# machine's), and never kill by a pid that may have been reused: delete goes through a pidfd.
teardown() {
    local left="" id status=0
    [ -n "${SCRATCH:-}" ] && stop_started
    [ -n "${RUNT_ROOT:-}" ] && [ -d "$RUNT_ROOT/containers" ] && left=$(ls -A "$RUNT_ROOT/containers")
    for id in $left; do "$RUNT" delete --force "$id" >/dev/null 2>&1 || true; done
    [ -z "$NETNS" ] || ip netns delete "$NETNS" 2>/dev/null || true
    runt_teardown || status=1
    [ -z "$left" ] || { echo "containers left behind: $left" >&2; status=1; }
    return $status
}

# make_bundle [JQ-FILTER]: $BUNDLE/config.json from `runt spec` for a copy of the image, with
# no terminal and a writable root, then FILTER applied.
make_bundle() {
    mkdir -p "$BUNDLE"
    rm -f "$BUNDLE/config.json"
    "$RUNT" spec --bundle "$BUNDLE"
    jq --arg root "$(test_rootfs)" \
        '.root.path = $root | .root.readonly = false | .process.terminal = false' \
        "$BUNDLE/config.json" | jq "${1:-.}" >"$BUNDLE/config.new"
    mv "$BUNDLE/config.new" "$BUNDLE/config.json"
}

# json_args ARG...: the arguments as a JSON array, for process.args. (The "--": jq 1.6 would
# take a "-c" among them as its own option.)
json_args() {
    jq -cn '$ARGS.positional' --args -- "$@"
}

# oci ARGS...: "$RUNT" ARGS. A container's init inherits runt's fds 0-2, so they go to files,
# never to a pipe that bats would wait on. Sets $status, and $output (runt's stderr).
oci() {
    status=0
    "$RUNT" "$@" </dev/null >"$SCRATCH/oci.out" 2>"$SCRATCH/oci.err" || status=$?
    output=$(cat "$SCRATCH/oci.err")
    echo "runt $* -> $status: $output"
}

state_of() {
    "$RUNT" state "$1" | jq -r .status
}

# refused FILTER MESSAGE: a bundle with FILTER applied is refused with MESSAGE, by create and
# by run, and nothing is created.
refused() {
    make_bundle "$1"
    oci create --bundle "$BUNDLE" t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: $2" ]
    oci run --bundle "$BUNDLE" t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: $2" ]
    [ -z "$(ls -A "$RUNT_ROOT/containers" 2>/dev/null)" ]
}

# ---- the lifecycle ----------------------------------------------------------------------

@test "oci: spec writes runt's defaults and its seccomp allowlist, and never overwrites" {
    mkdir -p "$BUNDLE"
    run "$RUNT" spec --bundle "$BUNDLE"
    [ "$status" -eq 0 ]
    run jq -c '[.ociVersion, .process.args, .process.noNewPrivileges, .root.path,
        .linux.seccomp.defaultAction, .linux.seccomp.defaultErrnoRet,
        (.linux.namespaces | map(.type)), .linux.resources.devices]' "$BUNDLE/config.json"
    [ "$output" = '["1.0.2",["sh"],true,"rootfs","SCMP_ACT_ERRNO",38,["pid","network","ipc","uts","mount","cgroup"],[{"allow":false,"access":"rwm"}]]' ]
    # clone's namespace flags are refused: the rule that applies without CAP_SYS_ADMIN.
    run jq -c '.linux.seccomp.syscalls[] | select(.names == ["clone"] and .action == "SCMP_ACT_ALLOW") | .args' "$BUNDLE/config.json"
    [ "$output" = '[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]' ]
    run "$RUNT" spec --bundle "$BUNDLE"
    [ "$status" -eq 125 ]
    [ "$output" = "runt: $BUNDLE/config.json (remove it first): File exists" ]
}

@test "oci: run --bundle: the command's output and exit status, the config's hostname" {
    make_bundle ".process.args = $(json_args sh -c 'echo "on $(hostname)"; exit 3') | .hostname = \"box\""
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 3 ]
    [ "$output" = "on box" ]
    [ ! -e "$RUNT_ROOT/containers/t1" ]
}

@test "oci: create leaves the init waiting; start lets it run; state follows; delete removes it" {
    make_bundle ".process.args = $(json_args sh -c 'echo started > /tmp/marker; exec sleep 100')"
    oci create --bundle "$BUNDLE" --pid-file "$SCRATCH/init.pid" t1
    [ "$status" -eq 0 ]
    pid=$(cat "$SCRATCH/init.pid")
    # The pid file holds the init's host pid: a process in the container's namespaces.
    [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
    run "$RUNT" state t1
    [ "$(jq -r '[.status, .pid, .bundle, .id] | @tsv' <<<"$output")" = "$(printf 'created\t%s\t%s\tt1' "$pid" "$BUNDLE")" ]
    # Created is not started: the command has not run.
    sleep 0.2
    [ ! -e "$(test_rootfs)/tmp/marker" ]
    run "$RUNT" start t1
    [ "$status" -eq 0 ]
    wait_for "[ -s '$(test_rootfs)/tmp/marker' ]"
    [ "$(state_of t1)" = running ]
    wait_for "[ \"\$(cat /proc/$pid/comm)\" = sleep ]"
    [ -d "/sys/fs/cgroup/pids/runt/t1" ] || [ -d /sys/fs/cgroup/runt/t1 ]
    run "$RUNT" kill t1 KILL
    [ "$status" -eq 0 ]
    wait_for "[ \"\$(\"$RUNT\" state t1 | jq -r .status)\" = stopped ]"
    [ "$("$RUNT" state t1 | jq .pid)" = 0 ]
    run "$RUNT" delete t1
    [ "$status" -eq 0 ]
    [ ! -e "$RUNT_ROOT/containers/t1" ]
    [ ! -d /sys/fs/cgroup/pids/runt/t1 ] && [ ! -d /sys/fs/cgroup/runt/t1 ]
}

@test "oci: a duplicate id, an unknown id, start twice, kill a stopped container: one line each" {
    make_bundle '.process.args = ["sleep", "100"]'
    oci create --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    oci create --bundle "$BUNDLE" t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container t1 already exists in $RUNT_ROOT" ]
    [ "$(state_of t1)" = created ]
    for cmd in start state delete kill; do
        run "$RUNT" "$cmd" nope
        [ "$status" -eq 125 ]
        [ "$output" = "runt: container nope does not exist in $RUNT_ROOT" ]
    done
    run "$RUNT" delete --force nope
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    run "$RUNT" start t1
    [ "$status" -eq 0 ]
    run "$RUNT" start t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container t1 is running: start runs a created container, once" ]
    run "$RUNT" delete t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container t1 is running: stop it first, or delete --force" ]
    run "$RUNT" kill t1 9
    wait_for "[ \"\$(\"$RUNT\" state t1 | jq -r .status)\" = stopped ]"
    run "$RUNT" kill t1 TERM
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container not running: t1" ]
    # --all signals what is left in the cgroup: nothing, and that is no error (as runc).
    run "$RUNT" kill --all t1 TERM
    [ "$status" -eq 0 ]
    run "$RUNT" start t1
    [ "$output" = "runt: container t1 is stopped: start runs a created container, once" ]
    run "$RUNT" create --bundle "$BUNDLE" ../t1
    [ "$output" = "runt: '../t1' is not a container id (1 to 128 letters, digits, '_+-.', not starting with '.')" ]
    run "$RUNT" delete t1
    [ "$status" -eq 0 ]
}

@test "oci: delete --force kills a running container, and everything in its cgroup" {
    make_bundle ".process.args = $(json_args sh -c 'sleep 100 & exec sleep 100')"
    oci create --bundle "$BUNDLE" --pid-file "$SCRATCH/init.pid" t1
    run "$RUNT" start t1
    pid=$(cat "$SCRATCH/init.pid")
    wait_for "[ \"\$(cat /proc/$pid/comm)\" = sleep ]"
    run "$RUNT" delete --force t1
    [ "$status" -eq 0 ]
    [ ! -e "/proc/$pid/comm" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
    [ ! -e "$RUNT_ROOT/containers/t1" ]
}

@test "oci: global options come before the command; unknown ones and --systemd-cgroup are refused" {
    make_bundle '.process.args = ["true"]'
    run "$RUNT" --root "$SCRATCH/other" --log "$SCRATCH/log.json" --log-format json run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ ! -e "$SCRATCH/log.json" ] || [ ! -s "$SCRATCH/log.json" ]
    run "$RUNT" --root="$SCRATCH/other" --log "$SCRATCH/log.json" --log-format json state nope
    [ "$status" -eq 125 ]
    [ "$(jq -r '.level + " " + .msg' "$SCRATCH/log.json")" = "error container nope does not exist in $SCRATCH/other" ]
    run "$RUNT" --frobnicate list
    [ "$output" = "runt: unknown global option '--frobnicate' (try: runt --help)" ]
    run "$RUNT" --systemd-cgroup list
    [ "$status" -eq 125 ]
    [[ "$output" == "runt: --systemd-cgroup: runt creates cgroups itself, through cgroupfs,"* ]]
    run "$RUNT" --log-format yaml list
    [ "$output" = "runt: --log-format: 'yaml' is not json or text" ]
    run "$RUNT" --version
    [[ "${lines[0]}" == "runt version "* ]]
    [ "${lines[1]}" = "spec: 1.0.2" ]
    run "$RUNT" features
    [ "$(jq -c '[.ociVersionMax, .linux.cgroup.systemd, (.linux.namespaces | length)]' <<<"$output")" = '["1.0.2",false,7]' ]
}

# ---- what config.json asks for ----------------------------------------------------------

@test "oci: bad config fields are refused by name, and nothing is created" {
    refused '.linux.intelRdt = {"closID": "x"}' "config.json: linux.intelRdt: not supported by runt"
    refused '.process.capabilitys = {"bounding": []}' "config.json: process.capabilitys: not a field runt knows (a typo?)"
    refused '.hooks = {"prestart": [{"path": "/bin/true"}]}' "config.json: hooks: not supported by runt"
    refused '.linux.resources.blockIO = {"weight": 10}' "config.json: linux.resources.blockIO: not supported by runt"
    refused '.linux.sysctl = {"vm.swappiness": "10"}' \
        "config.json: linux.sysctl.vm.swappiness: not namespaced: it would change the host"
    refused '.linux.namespaces -= [{"type": "network"}] | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
        "config.json: linux.sysctl.net.ipv4.ip_forward: the container shares the host's network namespace"
    refused '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' \
        "config.json: process.rlimits[0].type: 'RLIMIT_BOGUS' is not a limit (see getrlimit(2))"
    refused '.process.capabilities.bounding += ["CAP_BOGUS"]' \
        "config.json: process.capabilities.bounding: unknown capability 'CAP_BOGUS' (see capabilities(7))"
    refused '.mounts += [{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind", "rshared"]}]' \
        "config.json: mounts[5].options: 'rshared': runt keeps every mount of the container private"
    refused '.mounts += [{"destination": "/x/../../etc", "type": "tmpfs", "source": "tmpfs"}]' \
        "config.json: mounts[5].destination: '/x/../../etc' must be absolute, without '..'"
    refused '.linux.namespaces += [{"type": "time"}]' \
        "config.json: linux.namespaces[6]: 'time' namespaces are not supported by runt"
    refused '.linux.seccomp.defaultAction = "SCMP_ACT_NOTIFY"' \
        "config.json: linux.seccomp.defaultAction: 'SCMP_ACT_NOTIFY' is not an action runt supports"
    refused '.linux.resources.memory.limit = "64M"' "config.json: linux.resources.memory.limit: must be a whole number"
    refused '.ociVersion = "2.0.0"' "config.json: ociVersion: runt reads version 1.x, not '2.0.0'"
    # Only create refuses a terminal without a socket: run stays, and relays the pty itself.
    make_bundle '.process.terminal = true'
    oci create --bundle "$BUNDLE" t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: process.terminal is true: --console-socket must say where the pty goes, as runt does not stay to relay it" ]
    [ -z "$(ls -A "$RUNT_ROOT/containers" 2>/dev/null)" ]
}

@test "oci: the process: args, env, cwd, user, groups, capabilities, rlimits, umask, oomScoreAdj" {
    make_bundle ".process.args = $(json_args sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(id -G)"
            grep -E "^Cap(Eff|Bnd)" /proc/self/status | tr "\t\n" ": "; echo
            ulimit -n; umask; cat /proc/self/oom_score_adj; touch /tmp/f; stat -c %a /tmp/f') |
        .process.env = [\"FOO=bar\", \"PATH=/bin\"] | .process.cwd = \"/tmp\" |
        .process.user = {\"uid\": 1000, \"gid\": 1001, \"additionalGids\": [5, 7], \"umask\": 63} |
        .process.capabilities = {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_KILL\"],
            \"permitted\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"]} |
        .process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 100, \"hard\": 200}] |
        .process.oomScoreAdj = 300"
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "bar /tmp 1000:1001 1001 5 7" ]
    [ "${lines[1]}" = "CapEff::0000000000000020 CapBnd::0000000000000021 " ]
    [ "${lines[2]}" = 100 ]
    [ "${lines[3]}" = 0077 ]
    [ "${lines[4]}" = 300 ]
    [ "${lines[5]}" = 600 ]
}

@test "oci: the root: read-only, masked and read-only paths, sysctls, /dev's nodes" {
    make_bundle ".process.args = $(json_args sh -c 'touch /x 2>&1; echo "$(wc -c </proc/keys) $(ls /sys/firmware | wc -l)"
            echo 1 > /proc/sys/kernel/domainname 2>&1; cat /proc/sys/net/ipv4/ping_group_range
            echo hi > /dev/null && ls /dev | tr "\n" " "') |
        .root.readonly = true | .linux.sysctl = {\"net.ipv4.ping_group_range\": \"0 0\"}"
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "touch: /x: Read-only file system" ]
    [ "${lines[1]}" = "0 0" ]
    [[ "${lines[2]}" == *"Read-only file system" ]]
    [ "$(tr -s '\t ' ' ' <<<"${lines[3]}")" = "0 0" ]
    [ "${lines[4]}" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
}

@test "oci: mounts: tmpfs options, a file bind the image lacks, a read-only bind, the cgroup mount" {
    echo from-host >"$SCRATCH/hosts"
    mkdir "$SCRATCH/data" && echo data >"$SCRATCH/data/file"
    make_bundle ".process.args = $(json_args sh -c 'cat /etc/hostsx; cat /data/file; touch /data/x 2>&1
            grep " /scratch " /proc/self/mounts | cut -d" " -f3,4; touch /sys/fs/cgroup/x 2>&1
            cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max') |
        .linux.resources.pids = {\"limit\": 42} |
        .mounts += [{\"destination\": \"/etc/hostsx\", \"type\": \"bind\", \"source\": \"$SCRATCH/hosts\", \"options\": [\"bind\", \"rprivate\"]},
                    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$SCRATCH/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\"]},
                    {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nodev\", \"size=1m\", \"mode=700\"]},
                    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", \"options\": [\"ro\", \"nosuid\"]}]"
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = from-host ]
    [ "${lines[1]}" = data ]
    [ "${lines[2]}" = "touch: /data/x: Read-only file system" ]
    [[ "${lines[3]}" == "tmpfs rw,nodev,relatime,size=1024k,mode=700"* ]]
    [ "${lines[4]}" = "touch: /sys/fs/cgroup/x: Read-only file system" ]
    # The container's own cgroup, not the host's root: its pids limit.
    [ "${lines[5]}" = 42 ]
    [ -e "$(test_rootfs)/etc/hostsx" ]
}

@test "oci: resources: memory, swap, pids and CPU in the cgroup; devices: only the allowed nodes" {
    make_bundle ".process.args = $(json_args sh -c 'echo x > /dev/null && echo null-ok
            mknod /tmp/sda b 8 0 2>&1; mknod /tmp/mem c 1 1 2>&1; sleep 100') |
        .linux.cgroupsPath = \"/runt/t1\" |
        .linux.resources.memory = {\"limit\": 67108864, \"swap\": 134217728} |
        .linux.resources.pids = {\"limit\": 50} | .linux.resources.cpu = {\"shares\": 512, \"quota\": 50000, \"period\": 100000}"
    oci create --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    if [ -d /sys/fs/cgroup/runt/t1 ]; then
        cg=/sys/fs/cgroup/runt/t1
        [ "$(cat $cg/memory.max) $(cat $cg/pids.max) $(cat $cg/cpu.max) $(cat $cg/cpu.weight)" = "67108864 50 50000 100000 20" ]
        [ ! -e $cg/memory.swap.max ] || [ "$(cat $cg/memory.swap.max)" = 67108864 ]
    else
        cg=/sys/fs/cgroup
        [ "$(cat $cg/memory/runt/t1/memory.limit_in_bytes)" = 67108864 ]
        [ ! -e $cg/memory/runt/t1/memory.memsw.limit_in_bytes ] || [ "$(cat $cg/memory/runt/t1/memory.memsw.limit_in_bytes)" = 134217728 ]
        [ "$(cat $cg/pids/runt/t1/pids.max) $(cat $cg/cpu/runt/t1/cpu.shares) $(cat $cg/cpu/runt/t1/cpu.cfs_quota_us)" = "50 512 50000" ]
        grep -qx 'c 1:3 rwm' $cg/devices/runt/t1/devices.list
        ! grep -q '^a' $cg/devices/runt/t1/devices.list
    fi
    run "$RUNT" start t1
    wait_for "grep -q 'mknod' '$SCRATCH/oci.out'"
    wait_for "[ \$(wc -l < '$SCRATCH/oci.out') -ge 3 ]"
    run cat "$SCRATCH/oci.out"
    [ "${lines[0]}" = null-ok ]
    [ "${lines[1]}" = "mknod: /tmp/sda: Operation not permitted" ]
    [ "${lines[2]}" = "mknod: /tmp/mem: Operation not permitted" ]
    run "$RUNT" delete --force t1
    [ "$status" -eq 0 ]
}

@test "oci: seccomp from config.json: defaultErrnoRet, errnoRet, an argument comparison" {
    make_bundle ".process.args = $(json_args sh -c 'mkdir /tmp/d 2>&1; kill -USR1 $$ 2>&1; kill -0 $$ && echo kill-0-ok
            hostname x 2>&1; exit 0') |
        .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [
            {\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},
            {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 10, \"op\": \"SCMP_CMP_EQ\"}]},
            {\"names\": [\"sethostname\", \"not_a_syscall_at_all\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}"
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "mkdir: can't create directory '/tmp/d': Permission denied" ]
    [[ "${lines[1]}" == *"Operation not permitted" ]]
    [ "${lines[2]}" = kill-0-ok ]
    [ "${lines[3]}" = "hostname: sethostname: Function not implemented" ]
}

@test "oci: noNewPrivileges false leaves no_new_privs off under the seccomp filter, as root or a user" {
    local user nnp
    # libseccomp sets no_new_privs itself unless told not to: a config that says false
    # must get a process that can still gain privileges by execve (a setuid program).
    for user in 0 1000; do
        for nnp in false true; do
            make_bundle ".process.args = $(json_args grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status) |
                .process.noNewPrivileges = $nnp | .process.user = {\"uid\": $user, \"gid\": $user}"
            run "$RUNT" run --bundle "$BUNDLE" "t-$user-$nnp"
            echo "uid $user, noNewPrivileges $nnp: $output"
            [ "$status" -eq 0 ]
            [ "$(echo "$output" | tr -s '\t\n' ' ')" = "NoNewPrivs: $([ $nnp = true ] && echo 1 || echo 0) Seccomp: 2 " ]
        done
    done
}

@test "oci: runt spec's seccomp profile is the filter runt run loads: the same verdicts" {
    [ "$(uname -m)" = x86_64 ] || skip "seccomp-dump knows x86_64 system call numbers only"
    [ -x "$TESTBIN/seccomp-dump" ] || skip "tests/bin/seccomp-dump is not built (make)"
    start_container -v -- sleep 100
    wait_for "grep -q '^=> container ' '$SCRATCH/bg.err'"
    wait_for "[ \"\$(cat /proc/\$(child_of $BG_PID)/comm 2>/dev/null)\" = sleep ]"
    "$TESTBIN/seccomp-dump" "$(child_of "$BG_PID")" | grep -v '^#' >"$SCRATCH/run.dump"
    "$RUNT" kill "$(sed -n 's/^=> container //p' "$SCRATCH/bg.err")" KILL
    wait_container
    make_bundle '.process.args = ["sleep", "100"]'
    oci create --bundle "$BUNDLE" --pid-file "$SCRATCH/init.pid" t1
    run "$RUNT" start t1
    pid=$(cat "$SCRATCH/init.pid")
    wait_for "[ \"\$(cat /proc/$pid/comm)\" = sleep ]"
    "$TESTBIN/seccomp-dump" "$pid" | grep -v '^#' >"$SCRATCH/spec.dump"
    [ "$(wc -l <"$SCRATCH/run.dump")" -gt 400 ]
    diff "$SCRATCH/run.dump" "$SCRATCH/spec.dump"
    run "$RUNT" delete --force t1
}

@test "oci: a network namespace given by path is joined, not made" {
    command -v ip >/dev/null || skip "ip (iproute2) is not installed"
    NETNS=runt-oci-$$
    ip netns add "$NETNS"
    make_bundle ".process.args = $(json_args readlink /proc/self/ns/net) |
        .linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$NETNS\" else . end)"
    run "$RUNT" run --bundle "$BUNDLE" t1
    [ "$status" -eq 0 ]
    [ "$output" = "net:[$(stat -L -c %i "/run/netns/$NETNS")]" ]
}

# ---- the terminal and exec --------------------------------------------------------------

@test "oci: with a terminal, the pty master goes to --console-socket: one fd, before create returns" {
    make_bundle ".process.terminal = true | .process.consoleSize = {\"height\": 30, \"width\": 100} |
        .process.args = $(json_args sh -c 'tty; stty size; echo done')"
    "$TESTBIN/recvtty" "$SCRATCH/console.sock" >"$SCRATCH/tty.out" 2>"$SCRATCH/tty.err" &
    recv=$!
    echo "$recv" >>"$SCRATCH/.pids"
    wait_for "[ -S '$SCRATCH/console.sock' ]"
    oci create --bundle "$BUNDLE" --console-socket "$SCRATCH/console.sock" t1
    [ "$status" -eq 0 ]
    # runt create has returned, so it is gone: the fd came before that, or never.
    wait_for "grep -q '^recvtty: 1 fd, pty 0' '$SCRATCH/tty.err'"
    run "$RUNT" start t1
    wait "$recv"
    [ "$(tr -d '\r' <"$SCRATCH/tty.out")" = "$(printf '/dev/pts/0\n30 100\ndone')" ]
    wait_for "[ \"\$(\"$RUNT\" state t1 | jq -r .status)\" = stopped ]"
    run "$RUNT" delete t1
    [ "$status" -eq 0 ]
}

@test "oci: exec --process --detach --pid-file: runs in the container; the file holds its host pid" {
    make_bundle '.process.args = ["sleep", "100"]'
    oci create --bundle "$BUNDLE" --pid-file "$SCRATCH/init.pid" t1
    run "$RUNT" start t1
    jq -n '{args: ["sh", "-c", "echo $FOO $(pwd) $(id -u) > /tmp/exec-ran; exec sleep 100"],
        env: ["FOO=bar", "PATH=/bin"], cwd: "/tmp", user: {uid: 1000, gid: 1000}}' >"$SCRATCH/process.json"
    oci exec --process "$SCRATCH/process.json" --detach --pid-file "$SCRATCH/exec.pid" t1
    [ "$status" -eq 0 ]
    pid=$(cat "$SCRATCH/exec.pid")
    [ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(cat "$SCRATCH/init.pid")/ns/pid")" ]
    wait_for "[ -s '$(test_rootfs)/tmp/exec-ran' ]"
    [ "$(cat "$(test_rootfs)/tmp/exec-ran")" = "bar /tmp 1000" ]
    # Its seccomp filter is the container's, from the config saved at create.
    [ "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" = 2 ]
    run "$RUNT" delete --force t1
    [ "$status" -eq 0 ]
}

@test "oci: exec ID CMD takes the container's process; -e, --cwd and -u change it" {
    make_bundle '.process.args = ["sleep", "100"] | .process.env = ["PATH=/bin", "A=1"]'
    oci create --bundle "$BUNDLE" t1
    run "$RUNT" start t1
    run "$RUNT" exec t1 sh -c 'echo "$A $B $(pwd) $(id -u)"'
    [ "$output" = "1  / 0" ]
    run "$RUNT" exec -e B=2 --cwd /tmp -u 1000 t1 sh -c 'echo "$A $B $(pwd) $(id -u)"; exit 7'
    [ "$status" -eq 7 ]
    [ "$output" = "1 2 /tmp 1000" ]
    run -127 "$RUNT" exec t1 no-such-command
    [ "$output" = "runt: exec no-such-command: No such file or directory" ]
    run "$RUNT" delete --force t1
}

@test "oci: ps lists the host pids in the container's cgroup, as JSON or a table" {
    make_bundle '.process.args = ["sleep", "100"]'
    oci create --bundle "$BUNDLE" --pid-file "$SCRATCH/init.pid" t1
    pid=$(cat "$SCRATCH/init.pid")
    oci exec --process <(jq -n '{args: ["sleep", "100"], cwd: "/"}') --detach --pid-file "$SCRATCH/exec.pid" t1
    [ "$status" -eq 0 ]
    run "$RUNT" ps --format json t1
    [ "$status" -eq 0 ]
    [ "$(jq -c 'sort' <<<"$output")" = "$(jq -cn --argjson a "$pid" --argjson b "$(cat "$SCRATCH/exec.pid")" '[$a, $b] | sort')" ]
    run "$RUNT" ps t1
    [ "$(head -1 <<<"$output")" = PID ]
    [ "$(tail -n +2 <<<"$output" | sort -n | tr '\n' ' ')" = "$(printf '%s\n' "$pid" "$(cat "$SCRATCH/exec.pid")" | sort -n | tr '\n' ' ')" ]
    run "$RUNT" ps --format yaml t1
    [ "$status" -eq 125 ]
    [ "$output" = "runt: ps --format: 'yaml' is not table or json" ]
    run "$RUNT" delete --force t1
    [ "$status" -eq 0 ]
    run "$RUNT" ps nope
    [ "$status" -eq 125 ]
    [ "$output" = "runt: container nope does not exist in $RUNT_ROOT" ]
}
