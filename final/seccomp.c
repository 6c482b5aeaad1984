/*
 * runt (final): the default seccomp profile, and load_seccomp().
 *
 * The profile is an allowlist modelled on Docker's default: the calls that
 * ordinary programs make are allowed, calls refused on purpose answer EPERM,
 * and everything else, including every syscall newer than this list, answers
 * ENOSYS, so that libc falls back to an older call. It is never looser than
 * Docker's profile or stage 07's denylist; SECCOMP.md has the reasons and the
 * measurements.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#define CAP(name) (1ULL << CAP_##name)

/*
 * clang-format off, down to the table: these lists are laid out by hand, a
 * family of calls per line, and its array alignment cannot lay out the rows
 * of the table below (of different shapes).
 */
// clang-format off

/* ---- what every program needs: allowed whatever the capabilities ---- */

/* Processes and threads: create, run, wait, end. clone has its own rules below. */
static const char *const process_calls[] = {
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
    "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "process_mrelease",
    "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
    "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "restart_syscall",
    "arch_prctl", "set_thread_area", "get_thread_area", "modify_ldt", "prctl", "membarrier",
    "capget", "capset", "getrlimit", "setrlimit", "prlimit64", "getrusage", "times",
    "umask", "uname", "sysinfo", "getrandom",
    /* a process may restrict itself further */
    "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
    NULL};

/* Scheduling and priorities: the kernel checks the limits and the capabilities. */
static const char *const scheduling_calls[] = {
    "sched_yield", "sched_getparam", "sched_setparam", "sched_getscheduler",
    "sched_setscheduler", "sched_getaffinity", "sched_setaffinity", "sched_getattr",
    "sched_setattr", "sched_get_priority_max", "sched_get_priority_min",
    "sched_rr_get_interval", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
    "getcpu", NULL};

/* The process's own users and groups. */
static const char *const identity_calls[] = {
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
    "setfsgid", "setgroups", NULL};

static const char *const signal_calls[] = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "signalfd",
    "signalfd4", "pause", "alarm", NULL};

/* Reading the clocks, sleeping, timers. Setting the clocks is further down. */
static const char *const time_calls[] = {
    "clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep",
    "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
    NULL};

/* The process's own memory. */
static const char *const memory_calls[] = {
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
    "mlock", "mlock2", "mlockall", "munlock", "munlockall", "remap_file_pages",
    "memfd_create", "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect", NULL};

/* Files, directories and file descriptors, in the container's own mounts. */
static const char *const file_calls[] = {
    "open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3",
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "lseek", "sendfile", "splice", "tee", "copy_file_range",
    "fcntl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
    "fallocate", "truncate", "ftruncate", "fadvise64", "readahead",
    "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
    "access", "faccessat", "faccessat2", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
    "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat",
    "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "mknod", "mknodat",
    "chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown",
    "utime", "utimes", "utimensat", "futimesat",
    "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
    "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
    NULL};

/* Waiting for events, pipes, futexes, Linux AIO. ioctl has its own rules below. */
static const char *const event_calls[] = {
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "inotify_init",
    "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
    "pipe", "pipe2", "futex", "io_setup", "io_destroy", "io_submit", "io_cancel",
    "io_getevents", NULL};

/* Sockets, in the container's network namespace. socket has its own rules below. */
static const char *const socket_calls[] = {
    "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
    "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "sendmmsg", "recvmmsg", "shutdown", NULL};

/* System V and POSIX IPC, in the container's IPC namespace. */
static const char *const ipc_calls[] = {
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr", NULL};

/* ---- allowed with a capability, EPERM without it (Docker's conditions) ---- */

/* CAP_SYS_ADMIN: the mount table (and so the masks over /proc and /sys), namespaces,
   the hostname, quotas, and bpf and perf_event_open, whose own checks it satisfies. */
static const char *const admin_calls[] = {
    "mount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
    "open_tree", "mount_setattr", "setns", "unshare", "sethostname", "setdomainname",
    "quotactl", "fanotify_init", "bpf", "perf_event_open", NULL};
/* CAP_SYS_PTRACE: other processes' memory, and their file descriptors. */
static const char *const ptrace_calls[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "process_madvise", NULL};
/* CAP_SYS_TIME: the clocks are the host's; adjtimex can set them as well as read them. */
static const char *const clock_calls[] = {
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", NULL};
/* CAP_SYS_NICE: NUMA memory placement. */
static const char *const numa_calls[] = {"get_mempolicy", "set_mempolicy", "mbind", NULL};
/* CAP_DAC_READ_SEARCH: open a file by handle, around the mount tree (the "shocker" escape). */
static const char *const handle_calls[] = {"open_by_handle_at", "name_to_handle_at", NULL};
static const char *const module_calls[] = {"init_module", "finit_module", "delete_module", NULL};
static const char *const syslog_call[] = {"syslog", NULL};
static const char *const reboot_call[] = {"reboot", NULL};
static const char *const acct_call[] = {"acct", NULL};
static const char *const io_port_calls[] = {"iopl", "ioperm", NULL};
static const char *const vhangup_call[] = {"vhangup", NULL};
static const char *const chroot_call[] = {"chroot", NULL};

/* ---- refused with EPERM whatever the capabilities ---- */

static const char *const refused_calls[] = {
    "keyctl", "add_key", "request_key",       /* the keyrings are not namespaced */
    "kexec_load", "kexec_file_load",          /* boot another kernel */
    "swapon", "swapoff",                      /* the host's swap */
    "userfaultfd",                            /* pauses the kernel mid-copy: an exploit's tool */
    "io_uring_setup", "io_uring_enter",       /* io_uring: the work it does is not system */
    "io_uring_register",                      /* calls, so seccomp never sees it */
    "pivot_root", "open_tree_attr",           /* not even Docker allows these with SYS_ADMIN */
    "migrate_pages", "move_pages",            /* more NUMA placement */
    "set_mempolicy_home_node",
    NULL};

/* ---- calls with argument rules ---- */

static const char *const clone_call[] = {"clone", NULL};
static const char *const clone3_call[] = {"clone3", NULL};
static const char *const socket_call[] = {"socket", NULL};
static const char *const ioctl_call[] = {"ioctl", NULL};
static const char *const personality_call[] = {"personality", NULL};

/* The namespace flags of clone(2). (CLONE_NEWTIME is 0x80, part of clone's exit signal byte.) */
#define CLONE_NAMESPACE_FLAGS                                                                \
    (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
     CLONE_NEWCGROUP)

/*
 * ioctl commands and socket families are ints to the kernel: only the low
 * 32 bits of the register count, so compare only those, or a set upper bit
 * slips past the rule.
 */
#define LOW32 0xffffffffULL

#define EPERM_ACTION SCMP_ACT_ERRNO(EPERM)

/* Allowed with capability c, EPERM without it: Docker's "includes" and "excludes". */
#define WITH_CAP(list, c)                                           \
    {.names = (list), .action = SCMP_ACT_ALLOW, .caps = CAP(c)},    \
    {.names = (list), .action = EPERM_ACTION, .nocaps = CAP(c)}

/* One comparison: (argument i & mask) == val. */
#define MASKED(i, mask, val) \
    .args = {{.index = (i), .op = SCMP_CMP_MASKED_EQ, .value = (mask), .value_two = (val)}}, \
    .n_args = 1
#define EQUALS(i, val) .args = {{.index = (i), .op = SCMP_CMP_EQ, .value = (val)}}, .n_args = 1

/* clone with this namespace flag is refused (without CAP_SYS_ADMIN). */
#define CLONE_FLAG_REFUSED(flag) \
    {.names = clone_call, .action = EPERM_ACTION, MASKED(0, flag, flag), .nocaps = CAP(SYS_ADMIN)}

/* personality(2) with one of Docker's harmless values; any other value answers ENOSYS. */
#define PERSONALITY_ALLOWED(val) \
    {.names = personality_call, .action = SCMP_ACT_ALLOW, EQUALS(0, val)}

static const struct seccomp_rule default_rules[] = {
    {.names = process_calls,    .action = SCMP_ACT_ALLOW},
    {.names = scheduling_calls, .action = SCMP_ACT_ALLOW},
    {.names = identity_calls,   .action = SCMP_ACT_ALLOW},
    {.names = signal_calls,     .action = SCMP_ACT_ALLOW},
    {.names = time_calls,       .action = SCMP_ACT_ALLOW},
    {.names = memory_calls,     .action = SCMP_ACT_ALLOW},
    {.names = file_calls,       .action = SCMP_ACT_ALLOW},
    {.names = event_calls,      .action = SCMP_ACT_ALLOW},
    {.names = socket_calls,     .action = SCMP_ACT_ALLOW},
    {.names = ipc_calls,        .action = SCMP_ACT_ALLOW},

    WITH_CAP(admin_calls,   SYS_ADMIN),
    WITH_CAP(ptrace_calls,  SYS_PTRACE),
    WITH_CAP(clock_calls,   SYS_TIME),
    WITH_CAP(numa_calls,    SYS_NICE),
    WITH_CAP(handle_calls,  DAC_READ_SEARCH),
    WITH_CAP(module_calls,  SYS_MODULE),
    WITH_CAP(reboot_call,   SYS_BOOT),
    WITH_CAP(acct_call,     SYS_PACCT),
    WITH_CAP(io_port_calls, SYS_RAWIO),
    WITH_CAP(vhangup_call,  SYS_TTY_CONFIG),
    WITH_CAP(chroot_call,   SYS_CHROOT),
    /* syslog: with CAP_SYSLOG or CAP_SYS_ADMIN. */
    {.names = syslog_call, .action = SCMP_ACT_ALLOW, .caps = CAP(SYSLOG)},
    {.names = syslog_call, .action = SCMP_ACT_ALLOW, .caps = CAP(SYS_ADMIN)},
    {.names = syslog_call, .action = EPERM_ACTION,   .nocaps = CAP(SYSLOG) | CAP(SYS_ADMIN)},

    {.names = refused_calls, .action = EPERM_ACTION},

    /* clone: fork and threads, but no new namespace (a user namespace brings every
       capability back). With CAP_SYS_ADMIN, anything, as Docker allows. */
    {.names = clone_call, .action = SCMP_ACT_ALLOW, MASKED(0, CLONE_NAMESPACE_FLAGS, 0),
     .nocaps = CAP(SYS_ADMIN)},
    CLONE_FLAG_REFUSED(CLONE_NEWNS),
    CLONE_FLAG_REFUSED(CLONE_NEWUTS),
    CLONE_FLAG_REFUSED(CLONE_NEWIPC),
    CLONE_FLAG_REFUSED(CLONE_NEWUSER),
    CLONE_FLAG_REFUSED(CLONE_NEWPID),
    CLONE_FLAG_REFUSED(CLONE_NEWNET),
    CLONE_FLAG_REFUSED(CLONE_NEWCGROUP),
    {.names = clone_call, .action = SCMP_ACT_ALLOW, .caps = CAP(SYS_ADMIN)},
    /* clone3's flags are in memory, which a filter cannot read: ENOSYS, and libc uses clone. */
    {.names = clone3_call, .action = SCMP_ACT_ERRNO(ENOSYS), .nocaps = CAP(SYS_ADMIN)},
    {.names = clone3_call, .action = SCMP_ACT_ALLOW,         .caps = CAP(SYS_ADMIN)},

    /* socket: every family but vsock (a network namespace does not isolate it: it reaches the
       VM host) and AF_ALG (the kernel's crypto API, a large attack surface nothing here needs). */
    {.names = socket_call, .action = SCMP_ACT_ALLOW},
    {.names = socket_call, .action = EPERM_ACTION, MASKED(0, LOW32, AF_VSOCK)},
    {.names = socket_call, .action = EPERM_ACTION, MASKED(0, LOW32, AF_ALG)},

    /* ioctl: all but pushing input into a terminal: TIOCSTI, and TIOCLINUX's selection paste. */
    {.names = ioctl_call, .action = SCMP_ACT_ALLOW},
    {.names = ioctl_call, .action = EPERM_ACTION, MASKED(1, LOW32, TIOCSTI)},
    {.names = ioctl_call, .action = EPERM_ACTION, MASKED(1, LOW32, TIOCLINUX)},

    /* personality: Linux, 32-bit Linux, a 2.6 version number, and the query. Not ASLR off. */
    PERSONALITY_ALLOWED(PER_LINUX),
    PERSONALITY_ALLOWED(PER_LINUX32),
    PERSONALITY_ALLOWED(UNAME26),
    PERSONALITY_ALLOWED(UNAME26 | PER_LINUX32),
    PERSONALITY_ALLOWED(0xffffffffU),
};
// clang-format on

/*
 * Native calls only: a call through another ABI (i386's int $0x80, x32)
 * kills the process (load_seccomp). The i386 ABI multiplexes sockets through
 * socketcall(2), whose arguments are in memory, where no rule can see an
 * AF_VSOCK; so no extra architectures.
 */
const struct seccomp_profile runt_default_seccomp = {
    .default_action = SCMP_ACT_ERRNO(ENOSYS),
    .rules = default_rules,
    .n_rules = sizeof(default_rules) / sizeof(default_rules[0]),
};

/* ---- load_seccomp ---- */

bool seccomp_rule_applies(const struct seccomp_rule *r, uint64_t caps)
{
    return (caps & r->caps) == r->caps && (caps & r->nocaps) == 0;
}

static bool allows(uint32_t action)
{
    return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG;
}

static bool names_call(const struct seccomp_rule *r, const char *name)
{
    for (const char *const *n = r->names; *n != NULL; n++)
        if (strcmp(*n, name) == 0)
            return true;
    return false;
}

/* Does a rule that applies to this container allow the syscall `name` (for some arguments)? */
static bool has_allow_rule(const struct seccomp_profile *p, uint64_t caps, const char *name)
{
    for (size_t i = 0; i < p->n_rules; i++)
        if (seccomp_rule_applies(&p->rules[i], caps) && allows(p->rules[i].action) &&
            names_call(&p->rules[i], name))
            return true;
    return false;
}

/* A filter with this default action, the profile's architectures, and a kill for any other. */
static int new_filter(scmp_filter_ctx *ctx, const struct seccomp_profile *p, uint32_t def,
                      struct runt_err *err)
{
    int rc;

    *ctx = seccomp_init(def);
    if (*ctx == NULL)
        return runt_fail(err, EINVAL, "seccomp: cannot make a filter with default action %#x", def);
    for (size_t i = 0; i < p->n_arches; i++) {
        rc = seccomp_arch_add(*ctx, p->arches[i]);
        if (rc < 0 && rc != -EEXIST) /* EEXIST: the native one, already there */
            return runt_fail(err, -rc, "seccomp: add architecture %#x", p->arches[i]);
    }
    /* A filter is written for one ABI's numbers: a call through another would be misread. */
    rc = seccomp_attr_set(*ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc == 0) /* the kernel's own errno from seccomp_load, not libseccomp's ECANCELED */
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    /* libseccomp would set no_new_privs itself: that is the caller's (the config's) choice. */
    if (rc == 0)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc == 0 && p->log)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_LOG, 1);
    if (rc == 0 && p->spec_allow)
        rc = seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_SSB, 1);
    if (rc < 0)
        return runt_fail(err, -rc, "seccomp: set the filter's attributes");
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r, int nr, const char *name,
                    struct runt_err *err)
{
    struct scmp_arg_cmp cmp[RUNT_SECCOMP_MAX_ARGS];
    int rc;

    if (r->n_args > RUNT_SECCOMP_MAX_ARGS)
        return runt_fail(err, 0, "seccomp: %s: %zu argument comparisons, at most %d", name,
                         r->n_args, RUNT_SECCOMP_MAX_ARGS);
    for (size_t i = 0; i < r->n_args; i++)
        cmp[i] = (struct scmp_arg_cmp){r->args[i].index, r->args[i].op, r->args[i].value,
                                       r->args[i].value_two};
    rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)r->n_args, cmp);
    if (rc < 0)
        return runt_fail(err, -rc, "seccomp: add a rule for %s", name);
    return 0;
}

/*
 * Put every rule that applies into one of two filters:
 *  - the profile itself: its default action, every allow rule, and the
 *    refusals of syscalls that nothing allows;
 *  - "exceptions", whose default is ALLOW: the refusals of syscalls that an
 *    allow rule also names, like "ioctl TIOCSTI: EPERM" next to "ioctl: allow".
 * libseccomp cannot hold both of those in one filter: given an unconditional
 * rule for a syscall it silently drops the conditional ones, and between
 * overlapping rules with different actions it promises no order. The kernel
 * can: it runs every filter and keeps the strictest answer (seccomp(2)).
 */
static int add_rules(scmp_filter_ctx profile_f, scmp_filter_ctx exceptions_f,
                     const struct seccomp_profile *p, uint64_t caps, size_t *n_exceptions,
                     struct runt_err *err)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct seccomp_rule *r = &p->rules[i];

        if (!seccomp_rule_applies(r, caps))
            continue;
        for (const char *const *name = r->names; *name != NULL; name++) {
            int nr = seccomp_syscall_resolve_name(*name);
            bool exception = !allows(r->action) && has_allow_rule(p, caps, *name);

            /* Skip names this libseccomp does not know (syscalls newer than it), and
               rules that say what the default says anyway (libseccomp refuses them). */
            if (nr == __NR_SCMP_ERROR || (!exception && r->action == p->default_action))
                continue;
            if (add_rule(exception ? exceptions_f : profile_f, r, nr, *name, err) < 0)
                return -1;
            if (exception)
                (*n_exceptions)++;
        }
    }
    return 0;
}

int load_seccomp(const struct seccomp_profile *profile, uint64_t caps, struct runt_err *err)
{
    scmp_filter_ctx profile_f = NULL, exceptions_f = NULL;
    size_t n_exceptions = 0;
    int rc = -1, e;

    if (new_filter(&profile_f, profile, profile->default_action, err) < 0 ||
        new_filter(&exceptions_f, profile, SCMP_ACT_ALLOW, err) < 0 ||
        add_rules(profile_f, exceptions_f, profile, caps, &n_exceptions, err) < 0)
        goto out;
    /*
     * The exceptions go last: filters run newest first, and between two
     * answers of the same kind (ENOSYS from the profile, EPERM from an
     * exception) the first one seen wins. Loading them needs seccomp(2) and
     * prctl(2), which the profile must therefore allow.
     */
    e = seccomp_load(profile_f);
    if (e < 0) {
        runt_fail(err, -e, "load the seccomp filter");
        goto out;
    }
    if (n_exceptions > 0 && (e = seccomp_load(exceptions_f)) < 0) {
        runt_fail(err, -e, "load the seccomp filter's exceptions");
        goto out;
    }
    rc = 0;
out:
    seccomp_release(profile_f);
    seccomp_release(exceptions_f);
    return rc;
}
