/*
 * probe [NAME...]: call system calls that a container's seccomp filter should
 * refuse (deny) or let through (allow), and print what each call returned:
 *   deny mount EFAULT        the kernel ran mount(2): no filter stopped it
 *   deny mount EPERM         refused: a filter, or a missing capability
 *   allow getppid OK         the call succeeded
 * One line per probe, "<deny|allow> <name> <OK|ERRNO_NAME>". With NAMEs, only
 * those probes run, in that order. Without, every probe runs except the
 * "named only" ones: calls that stage 07's denylist lets through on purpose
 * and final's allowlist refuses (final/seccomp.bats names them). The exit
 * status is 0 even when a result is surprising (the suites judge the lines);
 * an unknown NAME exits 2.
 *
 * Every deny probe passes arguments that the kernel must reject with an
 * ordinary error (EFAULT, EINVAL, EBADF, ESRCH...) even for a process with
 * every capability and no filter: a bad pointer such as (void *)1, fd -1,
 * flags that do not exist. So running this on a host changes nothing, and
 * the kernel's answer is told apart from a filter's EPERM (or ENOSYS, which a
 * filter returns for clone3 so that libc falls back to clone). The comment
 * on each probe says which check in the kernel fails first; where there are
 * two, both are made to fail. Calls go through syscall(2), never through a
 * libc wrapper: some wrappers read their arguments first and would crash on
 * a bad pointer. A probe of a call the kernel lacks prints ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Numbers that older libc headers (EL8's glibc 2.28) may lack; 425+ are the same on every arch. */
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter 426
#endif
#ifndef SYS_io_uring_register
#define SYS_io_uring_register 427
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_open_tree
#define SYS_open_tree  428
#define SYS_move_mount 429
#define SYS_fsopen     430
#define SYS_fsconfig   431
#define SYS_fsmount    432
#define SYS_fspick     433
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
/* Linux 6.15; no libc header knows it yet. */
#define SYS_open_tree_attr_ 467

/* personality(2) flags (sys/personality.h): the harmless one, and one that weakens ASLR. */
#define PER_LINUX32_       0x0008
#define ADDR_NO_RANDOMIZE_ 0x0040000

/* An address the kernel can never read from or write to: copies from it fail with EFAULT. */
#define BAD_PTR ((void *)1)
/* A flag bit that none of the calls below defines; they answer EINVAL. */
#define BAD_FLAG 0x40000000UL

/* Each probe returns what syscall(2) does: -1 with errno set, or a result >= 0. */
typedef long (*probe_fn)(void);

/* ---- deny: calls a container has no business making ---- */

/* keyctl(2): operation 0x7fff does not exist: the switch's default gives EOPNOTSUPP. */
static long probe_keyctl(void)
{
    return syscall(SYS_keyctl, 0x7fff, 0L, 0L, 0L, 0L);
}

/* add_key(2): the key type is copied in first; from a bad pointer, EFAULT. */
static long probe_add_key(void)
{
    return syscall(SYS_add_key, BAD_PTR, BAD_PTR, NULL, 0UL, 0);
}

/* request_key(2): the type is copied in first too: EFAULT. */
static long probe_request_key(void)
{
    return syscall(SYS_request_key, BAD_PTR, BAD_PTR, NULL, 0);
}

/*
 * kexec_load(2): nr_segments 0 would UNLOAD a loaded kernel. Instead an unknown
 * flag (0x8000, below the arch bits) and 1000 segments (the limit is 16) are
 * each rejected with EINVAL before any segment is read.
 */
static long probe_kexec_load(void)
{
    return syscall(SYS_kexec_load, 0UL, 1000UL, BAD_PTR, 0x8000UL);
}

/*
 * kexec_file_load(2): flags are checked right after the capability, and an
 * unknown one gives EINVAL. Bits 0x1 (UNLOAD) and 0x2 (ON_CRASH, which frees
 * the loaded crash kernel) are clear, and fd -1 would be EBADF next.
 */
static long probe_kexec_file_load(void)
{
#ifdef SYS_kexec_file_load
    return syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0x80000000UL);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* init_module(2): a module image of 0 bytes is shorter than an ELF header: ENOEXEC. */
static long probe_init_module(void)
{
    return syscall(SYS_init_module, BAD_PTR, 0UL, "");
}

/* finit_module(2): unknown flags give EINVAL before the fd (-1) is looked at. */
static long probe_finit_module(void)
{
    return syscall(SYS_finit_module, -1, "", (int)BAD_FLAG);
}

/* delete_module(2): the module name is copied from a bad pointer: EFAULT. */
static long probe_delete_module(void)
{
    return syscall(SYS_delete_module, BAD_PTR, 0U);
}

/* bpf(2): the attributes are copied in before the command is looked at: EFAULT. */
static long probe_bpf(void)
{
    return syscall(SYS_bpf, 1000, BAD_PTR, 8U);
}

/* perf_event_open(2): unknown flags are the first check: EINVAL. */
static long probe_perf_event_open(void)
{
    return syscall(SYS_perf_event_open, BAD_PTR, -1, -1, -1, 0x80000000UL);
}

/*
 * userfaultfd(2): unknown flags give EINVAL (no fd is made). UFFD_USER_MODE_ONLY
 * (1) skips the privilege test on 5.11+, so that the answer is EINVAL, never
 * EPERM, with or without CAP_SYS_PTRACE.
 */
static long probe_userfaultfd(void)
{
    return syscall(SYS_userfaultfd, (int)(BAD_FLAG | 1UL));
}

/* mount(2): the filesystem type string is copied first: EFAULT. Nothing is mounted. */
static long probe_mount(void)
{
    return syscall(SYS_mount, BAD_PTR, BAD_PTR, BAD_PTR, 0UL, BAD_PTR);
}

/* umount2(2): unknown flags are checked before the path: EINVAL. */
static long probe_umount2(void)
{
    return syscall(SYS_umount2, BAD_PTR, (int)BAD_FLAG);
}

/* pivot_root(2): the new root's path is read from a bad pointer: EFAULT. */
static long probe_pivot_root(void)
{
    return syscall(SYS_pivot_root, BAD_PTR, BAD_PTR);
}

/* swapon(2): unknown flags are the first check: EINVAL; the path is bad too. */
static long probe_swapon(void)
{
    return syscall(SYS_swapon, BAD_PTR, (int)BAD_FLAG);
}

/* swapoff(2): the path is read from a bad pointer: EFAULT. */
static long probe_swapoff(void)
{
    return syscall(SYS_swapoff, BAD_PTR);
}

/*
 * reboot(2): magic1 must be 0xfee1dead; 0 gives EINVAL before cmd is looked at.
 * cmd is no LINUX_REBOOT_CMD_* either (0 would be CAD_OFF).
 */
static long probe_reboot(void)
{
    return syscall(SYS_reboot, 0, 0, 0x0badc0deU, NULL);
}

/* setns(2): fd -1 is no namespace: EBADF. */
static long probe_setns(void)
{
    return syscall(SYS_setns, -1, 0);
}

/*
 * unshare(2) with CLONE_NEWUSER, plus flags that unshare never accepts
 * (CLONE_PARENT, CLONE_VFORK, CLONE_PTRACE): the flag check gives EINVAL
 * before anything is unshared. Several, in case a kernel reuses one of them.
 */
static long probe_unshare(void)
{
    return syscall(SYS_unshare, CLONE_NEWUSER | CLONE_PARENT | CLONE_VFORK | CLONE_PTRACE);
}

/*
 * clone(2) with CLONE_NEWUSER|CLONE_NEWNS and CLONE_FS: a new user or mount
 * namespace cannot share the fs struct, and copy_process() checks that first:
 * EINVAL, no child. Should one be made anyway, it exits at once, and the
 * parent reaps it and reports OK.
 */
static long probe_clone(void)
{
    long pid =
        syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_FS | SIGCHLD, 0L, NULL, NULL, 0L);

    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    return pid;
}

/* clone3(2): struct clone_args is copied from a bad pointer: EFAULT. */
static long probe_clone3(void)
{
    return syscall(SYS_clone3, BAD_PTR, (size_t)64);
}

/* ptrace(2): no process has pid -1: ESRCH. PEEKUSER only reads, had it found one. */
static long probe_ptrace(void)
{
    return syscall(SYS_ptrace, (long)PTRACE_PEEKUSER, -1L, 0L, NULL);
}

/*
 * process_vm_readv(2): flags must be 0; 1 gives EINVAL. (With flags 0 and no
 * iovecs it would succeed, reading nothing.) pid -1 would be ESRCH next.
 */
static long probe_process_vm_readv(void)
{
    return syscall(SYS_process_vm_readv, -1, NULL, 0UL, NULL, 0UL, 1UL);
}

/* process_vm_writev(2): the same checks, the same EINVAL. */
static long probe_process_vm_writev(void)
{
    return syscall(SYS_process_vm_writev, -1, NULL, 0UL, NULL, 0UL, 1UL);
}

/*
 * open_by_handle_at(2), the "shocker" escape: the file handle is copied from
 * a bad pointer: EFAULT (before 6.x kernels, CAP_DAC_READ_SEARCH is checked
 * first). mount_fd -1 is bad too. Nothing can be opened.
 */
static long probe_open_by_handle_at(void)
{
    return syscall(SYS_open_by_handle_at, -1, BAD_PTR, O_RDONLY);
}

/* name_to_handle_at(2): unknown flags are the first check: EINVAL. */
static long probe_name_to_handle_at(void)
{
    return syscall(SYS_name_to_handle_at, -1, BAD_PTR, BAD_PTR, BAD_PTR, (int)BAD_FLAG);
}

/* ioctl(2) TIOCSTI, which pushes input into a terminal: fd -1 is no terminal: EBADF. */
static long probe_ioctl_tiocsti(void)
{
    return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, NULL);
}

/*
 * acct(2): the file name is read from a bad pointer: EFAULT. Never NULL:
 * acct(NULL) turns process accounting off.
 */
static long probe_acct(void)
{
    return syscall(SYS_acct, BAD_PTR);
}

/*
 * settimeofday(2): the time is copied from a bad pointer: EFAULT. The timezone
 * pointer is bad too: a valid one would be applied. (glibc's wrapper reads
 * the struct itself, hence syscall(2).)
 */
static long probe_settimeofday(void)
{
    return syscall(SYS_settimeofday, BAD_PTR, BAD_PTR);
}

/* clock_settime(2): the time is copied from a bad pointer: EFAULT. */
static long probe_clock_settime(void)
{
    return syscall(SYS_clock_settime, CLOCK_REALTIME, BAD_PTR);
}

/* clock_adjtime(2): struct timex is copied from a bad pointer: EFAULT. Never a real one. */
static long probe_clock_adjtime(void)
{
    return syscall(SYS_clock_adjtime, CLOCK_REALTIME, BAD_PTR);
}

/* adjtimex(2): the same copy, the same EFAULT. */
static long probe_adjtimex(void)
{
    return syscall(SYS_adjtimex, BAD_PTR);
}

/* mbind(2): mode 1000 is no MPOL_* mode: EINVAL before the range is looked at. */
static long probe_mbind(void)
{
    return syscall(SYS_mbind, 0UL, 0UL, 1000UL, NULL, 0UL, 0U);
}

/* migrate_pages(2): the node masks are read from a bad pointer: EFAULT; pid -1 next. */
static long probe_migrate_pages(void)
{
    return syscall(SYS_migrate_pages, -1, 2UL, BAD_PTR, BAD_PTR);
}

/* move_pages(2): no process has pid -1: ESRCH. (pid 0 would mean ourselves.) */
static long probe_move_pages(void)
{
    return syscall(SYS_move_pages, -1, 0UL, NULL, NULL, NULL, 0);
}

/* set_mempolicy(2): mode 1000 is no MPOL_* mode: EINVAL. */
static long probe_set_mempolicy(void)
{
    return syscall(SYS_set_mempolicy, 1000, NULL, 0UL);
}

/* io_uring_setup(2): struct io_uring_params is copied from a bad pointer: EFAULT. */
static long probe_io_uring_setup(void)
{
    return syscall(SYS_io_uring_setup, 1U, BAD_PTR);
}

/* io_uring_enter(2): fd -1 is no ring: EBADF. */
static long probe_io_uring_enter(void)
{
    return syscall(SYS_io_uring_enter, -1, 0U, 0U, 0U, NULL, (size_t)0);
}

/*
 * io_uring_register(2): opcode 0xffff does not exist: EINVAL, the first check
 * (older kernels look up the fd first: EBADF). The fd is not -1, which newer
 * kernels take as "no ring" for a few opcodes.
 */
static long probe_io_uring_register(void)
{
    return syscall(SYS_io_uring_register, 0x3fffffff, 0xffffU, NULL, 0U);
}

/*
 * The new mount API (Linux 5.2 on) does what mount(2) does, by file
 * descriptor: with CAP_SYS_ADMIN it can clone a mount without the masks on
 * top of it, or clear a mount's read-only flag. Each probe fails a flag check
 * (EINVAL) or an fd lookup (EBADF) before anything else, once the capability
 * check (if any) has passed.
 */
static long probe_open_tree(void)
{
    return syscall(SYS_open_tree, -1, "", BAD_FLAG);
}

static long probe_move_mount(void)
{
    return syscall(SYS_move_mount, -1, "", -1, "", BAD_FLAG);
}

static long probe_fsopen(void)
{
    return syscall(SYS_fsopen, "tmpfs", BAD_FLAG);
}

/* fsconfig(2): command 0xff does not exist: EINVAL, before the fd (-1) is looked up. */
static long probe_fsconfig(void)
{
    return syscall(SYS_fsconfig, -1, 0xffU, NULL, NULL, 0);
}

static long probe_fsmount(void)
{
    return syscall(SYS_fsmount, -1, BAD_FLAG, 0U);
}

static long probe_fspick(void)
{
    return syscall(SYS_fspick, -1, "", BAD_FLAG);
}

static long probe_mount_setattr(void)
{
    return syscall(SYS_mount_setattr, -1, "", BAD_FLAG, BAD_PTR, (size_t)32);
}

/* open_tree_attr(2), Linux 6.15: open_tree and mount_setattr in one call. ENOSYS before. */
static long probe_open_tree_attr(void)
{
    return syscall(SYS_open_tree_attr_, -1, "", BAD_FLAG, BAD_PTR, (size_t)32);
}

/* pidfd_getfd(2) copies another process's file descriptor; flags must be 0: EINVAL. */
static long probe_pidfd_getfd(void)
{
    return syscall(SYS_pidfd_getfd, -1, 0, 1U);
}

/* kcmp(2) compares kernel objects of two processes; pid -1 is nobody: ESRCH. */
static long probe_kcmp(void)
{
    return syscall(SYS_kcmp, -1, -1, 0, 0UL, 0UL);
}

/* process_madvise(2) advises on another process's memory; flags must be 0: EINVAL. */
static long probe_process_madvise(void)
{
    return syscall(SYS_process_madvise, -1, NULL, (size_t)0, 0, 1U);
}

/* get_mempolicy(2): unknown flags are the first check: EINVAL. */
static long probe_get_mempolicy(void)
{
    return syscall(SYS_get_mempolicy, NULL, NULL, 0UL, NULL, BAD_FLAG);
}

/* set_mempolicy_home_node(2): flags must be 0: EINVAL. */
static long probe_set_mempolicy_home_node(void)
{
    return syscall(SYS_set_mempolicy_home_node, 0UL, 0UL, 0UL, 1UL);
}

/*
 * socket(2) with AF_VSOCK, which reaches past the network namespace to the
 * hypervisor. The type carries a flag that does not exist: EINVAL, checked
 * before the family, so no socket is made even where the kernel would allow it.
 */
static long probe_socket_vsock(void)
{
    return syscall(SYS_socket, 40 /* AF_VSOCK */, 1 /* SOCK_STREAM */ | (int)BAD_FLAG, 0);
}

/*
 * personality(2) with ADDR_NO_RANDOMIZE, which turns address randomization off
 * for what this process executes next. No argument makes it fail: on a host it
 * succeeds (OK), and the old value is put back at once.
 */
static long probe_personality(void)
{
    long old = syscall(SYS_personality, 0xffffffffUL);
    long ret = syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE_);

    if (ret >= 0)
        syscall(SYS_personality, (unsigned long)old);
    return ret;
}

/* ---- deny, named only: calls that stage 07 lets through on purpose ---- */

/*
 * socket(2) for vsock with a bit set in the upper half of the register: the
 * kernel takes the family as an int and ignores it, so a filter comparing all
 * 64 bits would let this vsock socket through. AF_ALG is the kernel's crypto
 * API, a large attack surface that final refuses. A type flag that does not
 * exist makes both EINVAL before the family is looked at: no socket is made.
 */
static long probe_socket_vsock_hi32(void)
{
    return syscall(SYS_socket, (1UL << 32) | AF_VSOCK, 1 /* SOCK_STREAM */ | (int)BAD_FLAG, 0);
}

static long probe_socket_alg(void)
{
    return syscall(SYS_socket, AF_ALG, 1 /* SOCK_STREAM */ | (int)BAD_FLAG, 0);
}

/* ioctl(2) TIOCLINUX, whose selection paste can type into a virtual console: EBADF. */
static long probe_ioctl_tioclinux(void)
{
    return syscall(SYS_ioctl, -1, (unsigned long)TIOCLINUX, NULL);
}

/*
 * listmount(2), Linux 6.8: newer than any list of syscalls in this repository.
 * Unknown flags: EINVAL. A kernel without it answers ENOSYS, as an allowlist does.
 */
static long probe_listmount(void)
{
    return syscall(SYS_listmount, BAD_PTR, BAD_PTR, (size_t)0, (unsigned int)BAD_FLAG);
}

/* An ordinary socket, closed at once. */
static long probe_socket_unix(void)
{
    long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);

    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* personality(0xffffffff) only asks for the current personality (stage 07 refuses it). */
static long probe_personality_query(void)
{
    return syscall(SYS_personality, 0xffffffffUL);
}

/* ---- allow: ordinary calls every program needs ---- */

static long probe_getppid(void)
{
    return syscall(SYS_getppid);
}

static long probe_read(void)
{
    char c;

    return syscall(SYS_read, -1, &c, (size_t)1);
}

/* fork(3) is clone(2) without namespace flags. The child exits at once. */
static long probe_fork(void)
{
    int status;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

static long probe_pipe(void)
{
    int fds[2];

    if (pipe(fds) < 0)
        return -1;
    close(fds[0]);
    close(fds[1]);
    return 0;
}

/* unshare(0) unshares nothing, and must keep working. */
static long probe_unshare_none(void)
{
    return syscall(SYS_unshare, 0L);
}

static long probe_ioctl_tcgets(void)
{
    struct termios t;

    return syscall(SYS_ioctl, -1, (unsigned long)TCGETS, &t);
}

/* An AF_INET socket: networking inside the namespace keeps working. */
static long probe_socket_inet(void)
{
    long fd = syscall(SYS_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);

    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* personality(PER_LINUX32), as `linux32` or `setarch` set it; then back to PER_LINUX. */
static long probe_personality_linux32(void)
{
    long ret = syscall(SYS_personality, (unsigned long)PER_LINUX32_);

    if (ret >= 0)
        syscall(SYS_personality, 0UL);
    return ret;
}

/* No kernel has system call 1000: ENOSYS, which is what a filter must answer too. */
static long probe_nosys(void)
{
    return syscall(1000);
}

static const struct probe {
    const char *kind; /* what the filter should do: "deny" or "allow" */
    const char *name;
    probe_fn fn;
} probes[] = {
    {"deny",  "keyctl",                  probe_keyctl                 },
    {"deny",  "add_key",                 probe_add_key                },
    {"deny",  "request_key",             probe_request_key            },
    {"deny",  "kexec_load",              probe_kexec_load             },
    {"deny",  "kexec_file_load",         probe_kexec_file_load        },
    {"deny",  "init_module",             probe_init_module            },
    {"deny",  "finit_module",            probe_finit_module           },
    {"deny",  "delete_module",           probe_delete_module          },
    {"deny",  "bpf",                     probe_bpf                    },
    {"deny",  "perf_event_open",         probe_perf_event_open        },
    {"deny",  "userfaultfd",             probe_userfaultfd            },
    {"deny",  "mount",                   probe_mount                  },
    {"deny",  "umount2",                 probe_umount2                },
    {"deny",  "pivot_root",              probe_pivot_root             },
    {"deny",  "open_tree",               probe_open_tree              },
    {"deny",  "move_mount",              probe_move_mount             },
    {"deny",  "fsopen",                  probe_fsopen                 },
    {"deny",  "fsconfig",                probe_fsconfig               },
    {"deny",  "fsmount",                 probe_fsmount                },
    {"deny",  "fspick",                  probe_fspick                 },
    {"deny",  "mount_setattr",           probe_mount_setattr          },
    {"deny",  "open_tree_attr",          probe_open_tree_attr         },
    {"deny",  "swapon",                  probe_swapon                 },
    {"deny",  "swapoff",                 probe_swapoff                },
    {"deny",  "reboot",                  probe_reboot                 },
    {"deny",  "setns",                   probe_setns                  },
    {"deny",  "unshare",                 probe_unshare                },
    {"deny",  "clone",                   probe_clone                  },
    {"deny",  "clone3",                  probe_clone3                 },
    {"deny",  "ptrace",                  probe_ptrace                 },
    {"deny",  "process_vm_readv",        probe_process_vm_readv       },
    {"deny",  "process_vm_writev",       probe_process_vm_writev      },
    {"deny",  "pidfd_getfd",             probe_pidfd_getfd            },
    {"deny",  "kcmp",                    probe_kcmp                   },
    {"deny",  "process_madvise",         probe_process_madvise        },
    {"deny",  "open_by_handle_at",       probe_open_by_handle_at      },
    {"deny",  "name_to_handle_at",       probe_name_to_handle_at      },
    {"deny",  "ioctl_tiocsti",           probe_ioctl_tiocsti          },
    {"deny",  "acct",                    probe_acct                   },
    {"deny",  "settimeofday",            probe_settimeofday           },
    {"deny",  "clock_settime",           probe_clock_settime          },
    {"deny",  "clock_adjtime",           probe_clock_adjtime          },
    {"deny",  "adjtimex",                probe_adjtimex               },
    {"deny",  "mbind",                   probe_mbind                  },
    {"deny",  "migrate_pages",           probe_migrate_pages          },
    {"deny",  "move_pages",              probe_move_pages             },
    {"deny",  "set_mempolicy",           probe_set_mempolicy          },
    {"deny",  "get_mempolicy",           probe_get_mempolicy          },
    {"deny",  "set_mempolicy_home_node", probe_set_mempolicy_home_node},
    {"deny",  "socket_vsock",            probe_socket_vsock           },
    {"deny",  "personality",             probe_personality            },
    {"deny",  "io_uring_setup",          probe_io_uring_setup         },
    {"deny",  "io_uring_enter",          probe_io_uring_enter         },
    {"deny",  "io_uring_register",       probe_io_uring_register      },
    {"allow", "getppid",                 probe_getppid                },
    {"allow", "read",                    probe_read                   },
    {"allow", "fork",                    probe_fork                   },
    {"allow", "pipe",                    probe_pipe                   },
    {"allow", "unshare_none",            probe_unshare_none           },
    {"allow", "ioctl_tcgets",            probe_ioctl_tcgets           },
    {"allow", "socket_inet",             probe_socket_inet            },
    {"allow", "personality_linux32",     probe_personality_linux32    },
    {"allow", "nosys",                   probe_nosys                  },
};

/* Run only when named (see the top). */
static const struct probe named_only[] = {
    {"deny",  "socket_vsock_hi32", probe_socket_vsock_hi32},
    {"deny",  "socket_alg",        probe_socket_alg       },
    {"deny",  "ioctl_tioclinux",   probe_ioctl_tioclinux  },
    {"deny",  "listmount",         probe_listmount        },
    {"allow", "socket_unix",       probe_socket_unix      },
    {"allow", "personality_query", probe_personality_query},
};

#define NPROBES     (sizeof(probes) / sizeof(probes[0]))
#define NNAMED_ONLY (sizeof(named_only) / sizeof(named_only[0]))

/* Our own errno names: strerrorname_np(3) needs glibc 2.32, EL8 has 2.28. */
/* clang-format off: it would spread this one-line macro over five lines. */
// clang-format off
#define ERRNAME(e) {(e), #e}
// clang-format on
static const struct {
    int num;
    const char *name;
} errnames[] = {
    ERRNAME(EPERM),        ERRNAME(ENOENT),       ERRNAME(ESRCH),       ERRNAME(EINTR),
    ERRNAME(EIO),          ERRNAME(ENXIO),        ERRNAME(E2BIG),       ERRNAME(ENOEXEC),
    ERRNAME(EBADF),        ERRNAME(ECHILD),       ERRNAME(EAGAIN),      ERRNAME(ENOMEM),
    ERRNAME(EACCES),       ERRNAME(EFAULT),       ERRNAME(EBUSY),       ERRNAME(EEXIST),
    ERRNAME(EXDEV),        ERRNAME(ENODEV),       ERRNAME(ENOTDIR),     ERRNAME(EISDIR),
    ERRNAME(EINVAL),       ERRNAME(ENFILE),       ERRNAME(EMFILE),      ERRNAME(ENOTTY),
    ERRNAME(ETXTBSY),      ERRNAME(EFBIG),        ERRNAME(ENOSPC),      ERRNAME(ESPIPE),
    ERRNAME(EROFS),        ERRNAME(EMLINK),       ERRNAME(EPIPE),       ERRNAME(ERANGE),
    ERRNAME(EDEADLK),      ERRNAME(ENAMETOOLONG), ERRNAME(ENOSYS),      ERRNAME(ENOTEMPTY),
    ERRNAME(ELOOP),        ERRNAME(ENODATA),      ERRNAME(EOVERFLOW),   ERRNAME(EBADFD),
    ERRNAME(EOPNOTSUPP),   ERRNAME(ENOKEY),       ERRNAME(EKEYEXPIRED), ERRNAME(EKEYREVOKED),
    ERRNAME(EKEYREJECTED),
};

/* The symbolic name of an errno value, or NULL if it is not in the table. */
static const char *errname(int e)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].num == e)
            return errnames[i].name;
    return NULL;
}

static void run(const struct probe *p)
{
    const char *name;
    long ret;
    int e;

    errno = 0;
    ret = p->fn();
    e = errno;
    if (ret >= 0)
        printf("%s %s OK\n", p->kind, p->name);
    else if ((name = errname(e)) != NULL)
        printf("%s %s %s\n", p->kind, p->name, name);
    else
        printf("%s %s errno%d\n", p->kind, p->name, e);
}

static const struct probe *find(const char *name)
{
    for (size_t i = 0; i < NPROBES; i++)
        if (strcmp(probes[i].name, name) == 0)
            return &probes[i];
    for (size_t i = 0; i < NNAMED_ONLY; i++)
        if (strcmp(named_only[i].name, name) == 0)
            return &named_only[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* One line at a time: a filter that kills us must not take printed lines with it. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc == 1) {
        for (size_t i = 0; i < NPROBES; i++)
            run(&probes[i]);
        return 0;
    }
    /* Check every name before calling anything. */
    for (int i = 1; i < argc; i++) {
        if (find(argv[i]) == NULL) {
            fprintf(stderr, "probe: unknown probe '%s' (run probe without arguments for all)\n",
                    argv[i]);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++)
        run(find(argv[i]));
    return 0;
}
