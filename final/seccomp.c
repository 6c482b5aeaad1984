/*
 * runt (final): the default seccomp profile (seccomp_load.c loads a profile).
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
