/*
 * seccomp-dump PID: what the seccomp filters of a running process answer, for
 * every x86_64 system call 0-469 and for the argument values that matter
 * (clone and unshare flags, socket families, personality values, ioctl
 * commands), plus a few calls through the x32 and i386 ABIs.
 *
 * It trusts no list of rules: it copies the process's own BPF programs out of
 * the kernel with ptrace(PTRACE_SECCOMP_GET_FILTER) (ptrace(2); the kernel
 * needs CONFIG_CHECKPOINT_RESTORE) and runs each case through them with a
 * small classic-BPF interpreter. So it works on any process: a runt
 * container, a runc or crun container under Docker's profile, anything.
 *
 * Output: "# filter N: M instructions, fnv1a H" for each filter (0 is the one loaded
 * first), then one line per case, "<case> <verdict>":
 *   56:clone ALLOW                          a sweep line: "<nr>:<name>", arguments all 0
 *   clone(CLONE_NEWUSER) ERRNO(EPERM)       a variant: the arguments in its name
 *   i386:getpid KILL_PROCESS                a call through another ABI
 * Verdicts: ALLOW, LOG, TRACE, USER_NOTIF, ERRNO(<name or number>), TRAP,
 * KILL_THREAD, KILL_PROCESS, in the kernel's order of precedence (weakest
 * first). A process without a filter answers ALLOW to everything.
 *
 * Run it as root, and not under a seccomp filter itself: the kernel refuses
 * PTRACE_SECCOMP_GET_FILTER to a tracer that has one (EACCES). The process is
 * stopped (PTRACE_SEIZE, PTRACE_INTERRUPT) while its filters are copied, then
 * let go (PTRACE_DETACH); it never sees a signal.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* Families that older libc headers (EL8's glibc 2.28) may lack. */
#ifndef AF_NFC
#define AF_NFC 39
#endif
#ifndef AF_KCM
#define AF_KCM 41
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef AF_MCTP
#define AF_MCTP 45
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

#define HIGH_BIT (1ULL << 32) /* set in the upper half of a 64-bit register */
#define X32_BIT  0x40000000   /* x32 calls are x86_64 numbers with this bit (__X32_SYSCALL_BIT) */
#define LAST_NR  469          /* file_setattr, the last x86_64 call of Linux 6.18 */

/* One system call as a filter sees it (struct seccomp_data, seccomp(2)). */
struct sc_case {
    const char *label;
    uint32_t arch;
    int nr;
    uint64_t args[6];
};

/* clang-format off: it would spread these one-line macros over six lines each. */
// clang-format off
#define X86_64(label, nr, ...) {label, AUDIT_ARCH_X86_64, nr, {__VA_ARGS__}}
#define I386(label, nr, ...)   {label, AUDIT_ARCH_I386, nr, {__VA_ARGS__}}
// clang-format on

#define THREAD_FLAGS                                                                               \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |            \
     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* x86_64 numbers: clone 56, socket 41, ioctl 16, personality 135, unshare 272, getpid 39. */
static const struct sc_case variants[] = {
    X86_64("clone(SIGCHLD)", 56, SIGCHLD), /* fork() */
    X86_64("clone(thread)", 56, THREAD_FLAGS),
    X86_64("clone(CLONE_NEWNS)", 56, CLONE_NEWNS | SIGCHLD),
    X86_64("clone(CLONE_NEWUTS)", 56, CLONE_NEWUTS | SIGCHLD),
    X86_64("clone(CLONE_NEWIPC)", 56, CLONE_NEWIPC | SIGCHLD),
    X86_64("clone(CLONE_NEWUSER)", 56, CLONE_NEWUSER | SIGCHLD),
    X86_64("clone(CLONE_NEWPID)", 56, CLONE_NEWPID | SIGCHLD),
    X86_64("clone(CLONE_NEWNET)", 56, CLONE_NEWNET | SIGCHLD),
    X86_64("clone(CLONE_NEWCGROUP)", 56, CLONE_NEWCGROUP | SIGCHLD),
    X86_64("unshare(0)", 272, 0),
    X86_64("unshare(CLONE_FILES)", 272, CLONE_FILES),
    X86_64("unshare(CLONE_NEWNS)", 272, CLONE_NEWNS),
    X86_64("unshare(CLONE_NEWUSER)", 272, CLONE_NEWUSER),
    X86_64("unshare(CLONE_NEWNET)", 272, CLONE_NEWNET),
    X86_64("unshare(CLONE_NEWTIME)", 272, CLONE_NEWTIME),
    X86_64("socket(AF_UNIX)", 41, AF_UNIX, SOCK_STREAM),
    X86_64("socket(AF_INET)", 41, AF_INET, SOCK_STREAM),
    X86_64("socket(AF_INET6)", 41, AF_INET6, SOCK_DGRAM),
    X86_64("socket(AF_NETLINK)", 41, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE),
    X86_64("socket(AF_NETLINK,NETLINK_AUDIT)", 41, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT),
    X86_64("socket(AF_PACKET)", 41, AF_PACKET, SOCK_RAW),
    X86_64("socket(AF_ALG)", 41, AF_ALG, SOCK_SEQPACKET),
    X86_64("socket(AF_NFC)", 41, AF_NFC, SOCK_SEQPACKET),
    X86_64("socket(AF_VSOCK)", 41, AF_VSOCK, SOCK_STREAM),
    X86_64("socket(AF_KCM)", 41, AF_KCM, SOCK_DGRAM),
    X86_64("socket(AF_XDP)", 41, AF_XDP, SOCK_RAW),
    X86_64("socket(AF_MCTP)", 41, AF_MCTP, SOCK_DGRAM),
    X86_64("socket(46)", 41, 46, SOCK_STREAM), /* the first family Linux 6.18 does not have */
    /* The kernel reads the family as an int: the upper half of the register is ignored. */
    X86_64("socket(hi32|AF_INET)", 41, HIGH_BIT | AF_INET, SOCK_STREAM),
    X86_64("socket(hi32|AF_ALG)", 41, HIGH_BIT | AF_ALG, SOCK_SEQPACKET),
    X86_64("socket(hi32|AF_VSOCK)", 41, HIGH_BIT | AF_VSOCK, SOCK_STREAM),
    X86_64("personality(PER_LINUX)", 135, PER_LINUX),
    X86_64("personality(PER_LINUX32)", 135, PER_LINUX32),
    X86_64("personality(UNAME26)", 135, UNAME26),
    X86_64("personality(PER_LINUX32|UNAME26)", 135, PER_LINUX32 | UNAME26),
    X86_64("personality(0xffffffff)", 135, 0xffffffffU), /* a query: changes nothing */
    X86_64("personality(ADDR_NO_RANDOMIZE)", 135, ADDR_NO_RANDOMIZE),
    X86_64("personality(READ_IMPLIES_EXEC)", 135, READ_IMPLIES_EXEC),
    X86_64("personality(MMAP_PAGE_ZERO)", 135, MMAP_PAGE_ZERO),
    X86_64("personality(ADDR_COMPAT_LAYOUT)", 135, ADDR_COMPAT_LAYOUT),
    X86_64("ioctl(TCGETS)", 16, 0, TCGETS),
    X86_64("ioctl(TIOCGWINSZ)", 16, 0, TIOCGWINSZ),
    X86_64("ioctl(FIONREAD)", 16, 0, FIONREAD),
    X86_64("ioctl(TIOCSTI)", 16, 0, TIOCSTI),
    /* The kernel reads an ioctl command as 32 bits too. */
    X86_64("ioctl(hi32|TIOCSTI)", 16, 0, HIGH_BIT | TIOCSTI),
    X86_64("ioctl(TIOCLINUX)", 16, 0, TIOCLINUX),
    /* x32: x86_64's arch value, numbers with bit 30 set. */
    X86_64("x32:getpid", X32_BIT | 39),
    X86_64("x32:unshare(CLONE_NEWUSER)", X32_BIT | 272, CLONE_NEWUSER),
    /* i386 (int $0x80): its own numbers. socketcall's arguments sit in memory. */
    I386("i386:getpid", 20),
    I386("i386:ptrace", 26),
    I386("i386:socketcall", 102),
    I386("i386:socket(AF_VSOCK)", 359, AF_VSOCK, SOCK_STREAM),
    I386("i386:unshare(CLONE_NEWUSER)", 310, CLONE_NEWUSER),
};

/*
 * Names of the calls that libseccomp 2.5.4 does not know yet, from the
 * kernel's arch/x86/entry/syscalls/syscall_64.tbl (Linux 6.5 to 6.18).
 */
static const char *const newer_names[] = {
    [451] = "cachestat",         [452] = "fchmodat2",        [453] = "map_shadow_stack",
    [454] = "futex_wake",        [455] = "futex_wait",       [456] = "futex_requeue",
    [457] = "statmount",         [458] = "listmount",        [459] = "lsm_get_self_attr",
    [460] = "lsm_set_self_attr", [461] = "lsm_list_modules", [462] = "mseal",
    [463] = "setxattrat",        [464] = "getxattrat",       [465] = "listxattrat",
    [466] = "removexattrat",     [467] = "open_tree_attr",   [468] = "file_getattr",
    [469] = "file_setattr",
};

/*
 * The filters of one process, oldest first. ptrace(2) says index 0 is the
 * most recent filter, but the kernel counts from the first one loaded (two
 * filters of 1 and 3 instructions, loaded in that order, come back as 0: 1
 * and 1: 3 on Linux 6.18).
 */
struct filters {
    struct sock_filter *prog[64];
    size_t len[64];
    size_t n;
};

__attribute__((noreturn)) static void die(const char *what)
{
    fprintf(stderr, "seccomp-dump: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Stop the process, copy out each of its filters, let it go. */
static void read_filters(pid_t pid, struct filters *f)
{
    int status;

    if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
        die("PTRACE_SEIZE");
    if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
        die("PTRACE_INTERRUPT");
    if (waitpid(pid, &status, __WALL) < 0)
        die("waitpid");
    for (f->n = 0; f->n < sizeof(f->prog) / sizeof(f->prog[0]); f->n++) {
        /* With no buffer, the call returns the filter's length in instructions. */
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)f->n, NULL);

        /* ENOENT: no filter with this index; EINVAL at index 0: no filter at all. */
        if (n < 0 && (errno == ENOENT || (errno == EINVAL && f->n == 0)))
            break;
        if (n <= 0)
            die("PTRACE_SECCOMP_GET_FILTER");
        f->prog[f->n] = calloc((size_t)n, sizeof(struct sock_filter));
        if (f->prog[f->n] == NULL)
            die("calloc");
        f->len[f->n] = (size_t)n;
        if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)f->n, f->prog[f->n]) != n)
            die("PTRACE_SECCOMP_GET_FILTER");
    }
    if (ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0)
        die("PTRACE_DETACH");
}

/* FNV-1a over a program's bytes: two filters with the same hash are the same program. */
static uint64_t program_hash(const struct sock_filter *prog, size_t len)
{
    const unsigned char *b = (const unsigned char *)prog;
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < len * sizeof(*prog); i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

__attribute__((noreturn)) static void bad_program(size_t pc, const char *why)
{
    fprintf(stderr, "seccomp-dump: instruction %zu: %s\n", pc, why);
    exit(1);
}

/* A 32-bit word of the seccomp_data at byte offset k, as BPF_LD|BPF_W|BPF_ABS reads it. */
static uint32_t load_word(const struct seccomp_data *d, uint32_t k, size_t pc)
{
    uint32_t w;

    if (k % 4 != 0 || k > sizeof(*d) - 4)
        bad_program(pc, "load outside struct seccomp_data");
    memcpy(&w, (const char *)d + k, sizeof(w));
    return w;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t operand, size_t pc)
{
    switch (op) {
    case BPF_ADD:
        return a + operand;
    case BPF_SUB:
        return a - operand;
    case BPF_MUL:
        return a * operand;
    case BPF_DIV:
        return operand ? a / operand : 0;
    case BPF_MOD:
        return operand ? a % operand : 0;
    case BPF_OR:
        return a | operand;
    case BPF_AND:
        return a & operand;
    case BPF_XOR:
        return a ^ operand;
    case BPF_LSH:
        return operand < 32 ? a << operand : 0;
    case BPF_RSH:
        return operand < 32 ? a >> operand : 0;
    case BPF_NEG:
        return -a;
    default:
        bad_program(pc, "unknown ALU operation");
    }
}

static int jump_taken(uint16_t op, uint32_t a, uint32_t operand, size_t pc)
{
    switch (op) {
    case BPF_JEQ:
        return a == operand;
    case BPF_JGT:
        return a > operand;
    case BPF_JGE:
        return a >= operand;
    case BPF_JSET:
        return (a & operand) != 0;
    default:
        bad_program(pc, "unknown jump");
    }
}

/*
 * Run one classic BPF program (the instructions the kernel's seccomp checker
 * accepts) on d, and return its SECCOMP_RET_* value.
 */
static uint32_t run_filter(const struct sock_filter *prog, size_t len, const struct seccomp_data *d)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

    for (size_t pc = 0; pc < len; pc++) {
        const struct sock_filter *in = &prog[pc];
        uint32_t operand = BPF_SRC(in->code) == BPF_X ? x : in->k;

        switch (BPF_CLASS(in->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;

            if (BPF_MODE(in->code) == BPF_ABS)
                v = load_word(d, in->k, pc);
            else if (BPF_MODE(in->code) == BPF_LEN)
                v = sizeof(*d);
            else if (BPF_MODE(in->code) == BPF_IMM)
                v = in->k;
            else if (BPF_MODE(in->code) == BPF_MEM && in->k < BPF_MEMWORDS)
                v = mem[in->k];
            else
                bad_program(pc, "unknown load");
            if (BPF_CLASS(in->code) == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (in->k >= BPF_MEMWORDS)
                bad_program(pc, "store outside scratch memory");
            mem[in->k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            a = alu(BPF_OP(in->code), a, operand, pc);
            break;
        case BPF_JMP:
            if (BPF_OP(in->code) == BPF_JA)
                pc += in->k;
            else
                pc += jump_taken(BPF_OP(in->code), a, operand, pc) ? in->jt : in->jf;
            break;
        case BPF_RET:
            return BPF_RVAL(in->code) == BPF_A ? a : in->k;
        case BPF_MISC:
            if (BPF_MISCOP(in->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            bad_program(pc, "unknown instruction class");
        }
    }
    bad_program(len, "the program ends without a return");
}

/*
 * Every filter sees the call; the kernel keeps the first-seen verdict of
 * highest precedence, filters run newest first (seccomp(2)). The action
 * values are ordered so that, compared as signed numbers, lower wins:
 * KILL_PROCESS (0x80000000) < KILL_THREAD < TRAP < ERRNO < ... < ALLOW.
 */
static uint32_t verdict(const struct filters *f, const struct seccomp_data *d)
{
    uint32_t best = SECCOMP_RET_ALLOW;

    for (size_t i = f->n; i-- > 0;) {
        uint32_t ret = run_filter(f->prog[i], f->len[i], d);

        if ((int32_t)(ret & SECCOMP_RET_ACTION_FULL) < (int32_t)(best & SECCOMP_RET_ACTION_FULL))
            best = ret;
    }
    return best;
}

static void print_verdict(const char *label, uint32_t ret)
{
    uint32_t data = ret & SECCOMP_RET_DATA;

    switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
        printf("%s KILL_PROCESS\n", label);
        break;
    case SECCOMP_RET_KILL_THREAD:
        printf("%s KILL_THREAD\n", label);
        break;
    case SECCOMP_RET_TRAP:
        printf("%s TRAP\n", label);
        break;
    case SECCOMP_RET_ERRNO:
        if (data == EPERM)
            printf("%s ERRNO(EPERM)\n", label);
        else if (data == ENOSYS)
            printf("%s ERRNO(ENOSYS)\n", label);
        else if (data == EINVAL)
            printf("%s ERRNO(EINVAL)\n", label);
        else
            printf("%s ERRNO(%u)\n", label, data);
        break;
    case SECCOMP_RET_USER_NOTIF:
        printf("%s USER_NOTIF\n", label);
        break;
    case SECCOMP_RET_TRACE:
        printf("%s TRACE\n", label);
        break;
    case SECCOMP_RET_LOG:
        printf("%s LOG\n", label);
        break;
    case SECCOMP_RET_ALLOW:
        printf("%s ALLOW\n", label);
        break;
    default: /* the kernel treats an unknown action as KILL_PROCESS */
        printf("%s KILL_PROCESS\n", label);
    }
}

static void run_case(const struct filters *f, const struct sc_case *c)
{
    struct seccomp_data d = {.nr = c->nr, .arch = c->arch};

    memcpy(d.args, c->args, sizeof(d.args));
    print_verdict(c->label, verdict(f, &d));
}

/* The sweep: every x86_64 call, all arguments 0. */
static void sweep(const struct filters *f)
{
    for (int nr = 0; nr <= LAST_NR; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        const char *shown = name;
        char label[64];

        if (shown == NULL && nr < (int)(sizeof(newer_names) / sizeof(newer_names[0])))
            shown = newer_names[nr];
        snprintf(label, sizeof(label), "%d:%s", nr, shown ? shown : "unknown");
        free(name);
        run_case(f, &(struct sc_case){label, AUDIT_ARCH_X86_64, nr, {0}});
    }
}

int main(int argc, char **argv)
{
    struct filters f = {0};
    char *end;
    long pid;

#ifndef __x86_64__
    fprintf(stderr, "seccomp-dump: its cases are x86_64 system calls; this is not x86_64\n");
    return 77;
#endif
    if (argc != 2) {
        fprintf(stderr, "usage: seccomp-dump PID\n");
        return 2;
    }
    errno = 0;
    pid = strtol(argv[1], &end, 10);
    if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT32_MAX) {
        fprintf(stderr, "seccomp-dump: '%s' is not a process id\n", argv[1]);
        return 2;
    }
    read_filters((pid_t)pid, &f);
    for (size_t i = 0; i < f.n; i++)
        printf("# filter %zu: %zu instructions, fnv1a %016llx\n", i, f.len[i],
               (unsigned long long)program_hash(f.prog[i], f.len[i]));
    sweep(&f);
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
        run_case(&f, &variants[i]);
    return 0;
}
