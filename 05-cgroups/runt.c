/*
 * runt, stage 05: cgroups.
 *
 * Each container gets a control group of its own, runt/<id>, with optional
 * memory, pids and CPU limits, on cgroup v2 (one unified hierarchy) and on
 * v1 (one hierarchy per controller). The parent puts the child into it
 * before the child may exec: the child waits on a pipe until then. Inside,
 * a cgroup namespace makes the container's cgroup look like /. When the
 * container ends, whatever is left in its cgroup is killed and the cgroup
 * removed, on every exit path.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o runt runt.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <time.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNT_VERSION "0.1.0"

/* docker's exit codes: 125 runt failed, 126 cannot execute, 127 not found. */
enum { EXIT_RUNT_FAILED = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

struct options {
    bool verbose;
    const char *hostname;      /* --hostname, or NULL for the container id */
    const char *rootfs;        /* the image: the overlay's read-only lower layer */
    const char *root;          /* --root: where containers keep their state */
    bool keep;                 /* --keep: leave the container's directory behind */
    unsigned long long memory; /* --memory in bytes, 0 for no limit */
    long pids;                 /* --pids, 0 for no limit */
    long cpu_quota_us;         /* --cpus as microseconds per CPU_PERIOD_US, 0 for no limit */
    char **argv;               /* the command and its arguments */
};

/* The state root, unless --root or $RUNT_ROOT says otherwise. */
#define DEFAULT_STATE_ROOT "/var/lib/runt"

/* statfs(2) f_type of overlayfs; see linux/magic.h. */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define TMPFS_MAGIC           0x01021994
#define CGROUP2_SUPER_MAGIC   0x63677270

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The v1 hierarchies runt uses, one per controller it sets limits with. */
static const char *const v1_controllers[] = {"memory", "pids", "cpu"};
#define N_V1_CONTROLLERS (sizeof(v1_controllers) / sizeof(v1_controllers[0]))

/* The CFS period --cpus is measured against: 100 ms, the kernel's default. */
#define CPU_PERIOD_US 100000L

/* A container id is 12 hex digits, like the short ids docker prints. */
#define CONTAINER_ID_LEN 12

/* Everything the child needs; clone(2) hands it a copy through its argument. */
struct container {
    char id[CONTAINER_ID_LEN + 1];
    const char *hostname;
    char rootfs[PATH_MAX]; /* absolute: the child changes directory */
    char dir[PATH_MAX];    /* <state root>/containers/<id> */
    char upper[PATH_MAX];  /* the container's writes: <dir>/upper */
    char work[PATH_MAX];   /* overlayfs's scratch space: <dir>/work */
    char merged[PATH_MAX]; /* where the overlay is mounted: <dir>/merged */
    int sync_pipe[2];      /* runt writes to [1] once the child is in its cgroup */
    char **argv;
};

/* The child's stack. Without CLONE_VM the child gets a copy-on-write copy of it. */
#define CHILD_STACK_SIZE ((size_t)1024 * 1024)

static bool verbose;

/* Set in the child, whose failures must not take runt's exit path (see exit_failed). */
static bool in_child;

/*
 * Every message is formatted first and written with one call, so that lines
 * from runt and from its child never interleave mid-line on stderr.
 */
static void vreport(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
    char msg[1024];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "%s%s%s\n", prefix, msg, suffix);
}

/*
 * exit(3) runs the atexit(3) handlers and flushes stdio buffers, and the
 * child has copies of runt's: from stage 04 on, handlers that remove the
 * container's files. Those are runt's to run, once, so a failing child
 * leaves with _exit(2) instead.
 */
static noreturn void exit_failed(void)
{
    if (in_child)
        _exit(EXIT_RUNT_FAILED);
    exit(EXIT_RUNT_FAILED);
}

/* Print "runt: <message>: <strerror(errno)>" and exit 125. */
static noreturn void die(const char *fmt, ...)
{
    char suffix[256];
    va_list ap;

    snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
    va_start(ap, fmt);
    vreport("runt: ", fmt, ap, suffix);
    va_end(ap);
    exit_failed();
}

/* Like die(), for errors that errno does not describe. */
static noreturn void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("runt: ", fmt, ap, "");
    va_end(ap);
    exit_failed();
}

/* -v narration: one "=> step" line per step, on stderr. */
static void say(const char *fmt, ...)
{
    va_list ap;

    if (!verbose)
        return;
    va_start(ap, fmt);
    vreport("=> ", fmt, ap, "");
    va_end(ap);
}

static void usage(FILE *out)
{
    fputs("usage: runt run [-v] [--hostname NAME] [--root DIR] [--keep] [--memory SIZE]\n"
          "                [--pids N] [--cpus FRACTION] <image-dir> <command> [args...]\n"
          "       runt --help | --version\n"
          "\n"
          "  -v, --verbose      narrate each step on stderr\n"
          "  --hostname NAME    the container's hostname (default: its id)\n"
          "  --root DIR         state root (default: $RUNT_ROOT, else " DEFAULT_STATE_ROOT ")\n"
          "  --keep             keep the container's directory (its changes) after exit\n"
          "  --memory SIZE      memory limit, in bytes or with a K, M or G suffix\n"
          "  --pids N           at most N tasks (processes and threads)\n"
          "  --cpus FRACTION    CPU time limit in CPUs, e.g. 0.5\n"
          "\n"
          "Options end at the image: `runt run IMAGE ls -v` passes -v to ls.\n",
          out);
}

/*
 * Limits are checked while parsing, before anything is created. strtoull(3)
 * accepts "-1" (as a huge number) and leading spaces, so the first character
 * must be a digit; ERANGE catches overflow.
 */
static unsigned long long parse_memory(const char *arg)
{
    unsigned long long n, unit = 1;
    char *end;

    if (arg[0] < '0' || arg[0] > '9')
        fail("--memory: '%s' is not a size (try 64M)", arg);
    errno = 0;
    n = strtoull(arg, &end, 10);
    if (*end == 'K' || *end == 'k')
        unit = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        unit = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        unit = 1ULL << 30;
    if (unit != 1)
        end++;
    if (*end != '\0')
        fail("--memory: '%s' is not a size (try 64M)", arg);
    if (errno == ERANGE || n > LLONG_MAX / unit)
        fail("--memory: '%s' is too large", arg);
    if (n == 0)
        fail("--memory: must be more than 0");
    return n * unit;
}

static long parse_pids(const char *arg)
{
    char *end;
    long n;

    if (arg[0] < '0' || arg[0] > '9')
        fail("--pids: '%s' is not a positive number", arg);
    errno = 0;
    n = strtol(arg, &end, 10);
    if (*end != '\0')
        fail("--pids: '%s' is not a positive number", arg);
    /* The kernel never has more than 4M pids (PID_MAX_LIMIT). */
    if (errno == ERANGE || n > 4L * 1024 * 1024)
        fail("--pids: '%s' is too large", arg);
    if (n == 0)
        fail("--pids: must be more than 0");
    return n;
}

/* --cpus 0.5 means 50 ms of CPU time in every 100 ms period. */
static long parse_cpus(const char *arg)
{
    char *end;
    double cpus;

    if ((arg[0] < '0' || arg[0] > '9') && arg[0] != '.')
        fail("--cpus: '%s' is not a positive number", arg);
    errno = 0;
    cpus = strtod(arg, &end);
    if (*end != '\0' || !isfinite(cpus))
        fail("--cpus: '%s' is not a positive number", arg);
    if (errno == ERANGE || cpus > 1024)
        fail("--cpus: '%s' is too large", arg);
    /* The kernel refuses quotas under 1 ms. */
    if (cpus * CPU_PERIOD_US < 1000)
        fail("--cpus: must be at least 0.01");
    return (long)(cpus * CPU_PERIOD_US + 0.5); /* rounded; no libm needed */
}

/* getopt(3) refused an option in `word`: name it as it was written. */
static noreturn void bad_option(const char *word)
{
    if (strncmp(word, "--", 2) == 0)
        fail("unknown option '%s' (try: runt --help)", word);
    /* A short option may sit in a group such as -xv; getopt leaves its letter in optopt. */
    fail("unknown option '-%c' (try: runt --help)", optopt);
}

static void parse_args(int argc, char **argv, struct options *opts)
{
    static const struct option longopts[] = {
        {"verbose",  no_argument,       NULL, 'v'},
        {"hostname", required_argument, NULL, 'H'},
        {"root",     required_argument, NULL, 'R'},
        {"keep",     no_argument,       NULL, 'K'},
        {"memory",   required_argument, NULL, 'm'},
        {"pids",     required_argument, NULL, 'p'},
        {"cpus",     required_argument, NULL, 'c'},
        {"help",     no_argument,       NULL, 'h'},
        {NULL,       0,                 NULL, 0  },
    };
    int c;

    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        exit(0);
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("runt %s\n", RUNT_VERSION);
        exit(0);
    }
    if (argc < 2) {
        usage(stderr);
        exit(EXIT_RUNT_FAILED);
    }
    if (strcmp(argv[1], "run") != 0)
        fail("unknown command '%s' (try: runt --help)", argv[1]);

    /* Parse the options of "run"; the leading '+' stops at the first non-option. */
    argc--;
    argv++;
    opterr = 0;
    for (;;) {
        /* getopt moves optind past a word only once it is done with all of it. */
        const char *word = argv[optind];

        c = getopt_long(argc, argv, "+:vh", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'v':
            opts->verbose = true;
            break;
        case 'H':
            if (optarg[0] == '\0' || strlen(optarg) > HOST_NAME_MAX)
                fail("--hostname: '%s' must be 1 to %d characters", optarg, HOST_NAME_MAX);
            opts->hostname = optarg;
            break;
        case 'R':
            /* Empty, it would put the state in /containers, at the host's root. */
            if (optarg[0] == '\0')
                fail("--root: empty value (try: runt --help)");
            opts->root = optarg;
            break;
        case 'K':
            opts->keep = true;
            break;
        case 'm':
            opts->memory = parse_memory(optarg);
            break;
        case 'p':
            opts->pids = parse_pids(optarg);
            break;
        case 'c':
            opts->cpu_quota_us = parse_cpus(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            fail("option '%s' needs a value (try: runt --help)", argv[optind - 1]);
        default:
            bad_option(word);
        }
    }
    if (optind >= argc)
        fail("run: no image directory given (try: runt --help)");
    if (optind + 1 >= argc)
        fail("run: no command given (try: runt --help)");
    opts->rootfs = argv[optind];
    opts->argv = argv + optind + 1;
}

/*
 * The signals runt passes on. runt must outlive its child to report how the
 * child ended, so instead of dying from them it forwards them.
 */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static volatile pid_t child_pid;

static void forward_signal(int sig)
{
    int saved_errno = errno;

    /* kill(0, sig) would signal our whole process group: never send before fork returned. */
    if (child_pid > 0)
        kill(child_pid, sig);
    errno = saved_errno;
}

/* lesson 01: install_signal_forwarding; make exercise-1 blanks its body */
static void install_signal_forwarding(void)
{
    struct sigaction sa = {.sa_handler = forward_signal};

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
        if (sigaction(forwarded_signals[i], &sa, NULL) < 0)
            die("sigaction");
}
/* end of lesson 01: install_signal_forwarding */

/* Block (or unblock) the forwarded signals, so that none arrives between fork and child_pid. */
static void block_forwarded_signals(int how)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
        sigaddset(&set, forwarded_signals[i]);
    if (sigprocmask(how, &set, NULL) < 0)
        die("sigprocmask");
}

/* close_range(2) is Linux 5.9 and glibc 2.34; the raw call builds on older systems too. */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/*
 * The command gets stdin, stdout and stderr, and no other descriptor: runt
 * inherits whatever its caller left open (a shell's, an editor's), and each
 * one would hand the command the file, pipe or socket behind it. From stage
 * 03 on a directory of the host, reached through /proc/self/fd, would even
 * lead out of the container's root (runc's CVE-2024-21626). close_range(2)
 * closes them all in one call; kernels older than 5.9 answer ENOSYS, and then
 * each one listed in /proc/self/fd is closed.
 */
static void close_extra_fds(void)
{
    struct dirent *entry;
    DIR *dir;

    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) {
        say("close_range: every fd above 2 closed");
        return;
    }
    if (errno != ENOSYS)
        die("close_range");
    say("close_range: not in this kernel; close each fd above 2 in /proc/self/fd");
    dir = opendir("/proc/self/fd");
    if (dir == NULL)
        die("open /proc/self/fd");
    while ((entry = readdir(dir)) != NULL) {
        int fd = atoi(entry->d_name); /* 0 for "." and ".." */

        if (fd > 2 && fd != dirfd(dir))
            close(fd);
    }
    closedir(dir);
}

/* In the child: become the command. Returns only through _exit. */
/* lesson 01: exec_command; make exercise-1 blanks its body */
static noreturn void exec_command(char **argv)
{
    /*
     * Our handlers would forward to child_pid, which is 0 here: restore the
     * defaults, then unblock, because the signal mask survives execve(2).
     */
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
        signal(forwarded_signals[i], SIG_DFL);
    /* An ignored signal stays ignored across execve(2): give the command SIGPIPE back. */
    signal(SIGPIPE, SIG_DFL);
    block_forwarded_signals(SIG_UNBLOCK);
    close_extra_fds();
    say("exec %s", argv[0]);
    execvp(argv[0], argv);
    fprintf(stderr, "runt: exec %s: %s\n", argv[0], strerror(errno));
    /* _exit, not exit: the child must not flush stdio buffers it shares with runt. */
    _exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}
/* end of lesson 01: exec_command */

/* Fill id with random hex digits: the container's name, and its default hostname. */
static void make_container_id(char *id)
{
    unsigned char bytes[CONTAINER_ID_LEN / 2];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
        die("getrandom");
    for (size_t i = 0; i < sizeof(bytes); i++)
        sprintf(id + 2 * i, "%02x", bytes[i]);
}

/* Create a mount point the image may lack (a minimal rootfs may have no /sys). */
static void ensure_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        die("mkdir %s", path);
}

/*
 * A new mount namespace starts as a copy of ours, and with shared propagation
 * (systemd's default) mounts made in it would still reach the host. Marking
 * the whole tree private first cuts that link, in this namespace only.
 */
/* lesson 02: make_mounts_private; make exercise-2 blanks its body */
static void make_mounts_private(void)
{
    say("make / private (MS_REC|MS_PRIVATE)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("make / private");
}
/* end of lesson 02: make_mounts_private */

/*
 * ps and friends read /proc, which shows the PID namespace of the procfs
 * instance. Mounting a new one over /proc, in our private mount namespace,
 * shows only the container's processes and leaves the host's /proc alone.
 */
/* lesson 02: mount_proc; make exercise-2 blanks its body */
static void mount_proc(void)
{
    say("mount proc on /proc");
    ensure_dir("/proc", 0555);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die("mount proc on /proc");
}
/* end of lesson 02: mount_proc */

static void set_hostname(const char *name)
{
    say("sethostname %s", name);
    if (sethostname(name, strlen(name)) < 0)
        die("sethostname %s", name);
}

/*
 * A new network namespace holds only a loopback interface, and it is down.
 * Setting IFF_UP with the SIOCSIFFLAGS ioctl on any socket of the namespace
 * brings it up, so 127.0.0.1 works. No other interface exists: nothing
 * outside is reachable. See netdevice(7).
 */
static void bring_up_loopback(void)
{
    struct ifreq ifr = {0};
    int fd;

    say("bring up lo");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        die("get flags of lo");
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        die("bring up lo");
    close(fd);
}

/*
 * overlayfs options are a comma-separated list, ':' separates lower dirs and
 * '\' escapes: a path holding one of them cannot go into the options.
 */
static void refuse_overlay_separators(const char *what, const char *path)
{
    if (strpbrk(path, ",:\\") != NULL)
        fail("%s %s: overlayfs cannot take a path with ',', ':' or '\\'", what, path);
}

/* Check the rootfs (the image) before creating anything; make its path absolute. */
static void resolve_rootfs(const char *path, char *resolved)
{
    struct stat st;

    if (path[0] == '\0')
        fail("rootfs: empty path (try: runt --help)");
    if (stat(path, &st) < 0)
        die("rootfs %s", path);
    if (!S_ISDIR(st.st_mode))
        fail("rootfs %s: not a directory", path);
    if (realpath(path, resolved) == NULL)
        die("rootfs %s", path);
    refuse_overlay_separators("rootfs", resolved);
}

/*
 * Make rootfs our / and forget the host's tree. pivot_root(2) moves the
 * current root to put_old and makes new_root the root; unlike chroot(2),
 * which changes one process's idea of / and leaves the whole tree reachable,
 * it changes what / is for the mount namespace. Then the old root is
 * unmounted: nothing of the host is left to walk back up to.
 */
/* lesson 03: pivot_into; make exercise-3 blanks its body */
static void pivot_into(const char *rootfs)
{
    char old_root[] = ".oldroot-XXXXXX";

    /* pivot_root needs new_root to be a mount point: bind-mount it onto itself. */
    say("bind-mount %s onto itself", rootfs);
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("bind-mount %s", rootfs);
    if (chdir(rootfs) < 0)
        die("chdir %s", rootfs);
    /* A unique name, so that two containers of one rootfs never share it. */
    if (mkdtemp(old_root) == NULL)
        die("mkdtemp %s/%s", rootfs, old_root);

    say("pivot_root into %s", rootfs);
    /* glibc has no wrapper for pivot_root(2). */
    if (syscall(SYS_pivot_root, ".", old_root) < 0)
        die("pivot_root into %s", rootfs);
    if (chdir("/") < 0)
        die("chdir /");

    /* The old root is now at /<old_root>; MNT_DETACH unmounts it even while busy. */
    say("unmount the old root");
    if (umount2(old_root, MNT_DETACH) < 0)
        die("unmount the old root");
    if (rmdir(old_root) < 0)
        die("rmdir %s", old_root);
}
/* end of lesson 03: pivot_into */

/* /sys read-only: a container has no business reconfiguring the host's devices. */
static void mount_sys(void)
{
    say("mount sysfs on /sys (read-only)");
    ensure_dir("/sys", 0555);
    if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die("mount sysfs on /sys");
}

/*
 * /dev is a small tmpfs of our own with the few device nodes programs expect,
 * made with mknod(2). Not bind mounts of the host's nodes: a bind-mounted
 * node is the host's very inode, so `chmod 600 /dev/null` in the container
 * would change the host's /dev/null.
 */
/* lesson 03: populate_dev; make exercise-3 blanks its body */
static void populate_dev(void)
{
    static const struct {
        const char *path;
        unsigned int major, minor;
    } nodes[] = {
        {"/dev/null",    1, 3},
        {"/dev/zero",    1, 5},
        {"/dev/full",    1, 7},
        {"/dev/random",  1, 8},
        {"/dev/urandom", 1, 9},
        {"/dev/tty",     5, 0},
    };
    static const char *const links[][2] = {
        {"/proc/self/fd",   "/dev/fd"    },
        {"/proc/self/fd/0", "/dev/stdin" },
        {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
        {"pts/ptmx",        "/dev/ptmx"  },
    };

    say("mount tmpfs on /dev, mknod null zero full random urandom tty");
    ensure_dir("/dev", 0755);
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") < 0)
        die("mount tmpfs on /dev");
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        if (mknod(nodes[i].path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
            die("mknod %s", nodes[i].path);
        /* mknod(2) applies the umask; these nodes are meant for everyone. */
        if (chmod(nodes[i].path, 0666) < 0)
            die("chmod %s", nodes[i].path);
    }
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (symlink(links[i][0], links[i][1]) < 0)
            die("symlink %s", links[i][1]);

    /*
     * A devpts instance of our own: the container's ptys are not the host's.
     * Its ptys belong to group 5, tty on most systems, as Docker's do: the
     * group that write(1) and wall(1) use to reach a terminal.
     */
    say("mount devpts on /dev/pts");
    ensure_dir("/dev/pts", 0755);
    if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
        die("mount devpts on /dev/pts");

    say("mount tmpfs on /dev/shm");
    ensure_dir("/dev/shm", 01777);
    if (mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777") < 0)
        die("mount tmpfs on /dev/shm");
}
/* end of lesson 03: populate_dev */

/* mkdir -p: create path and any missing parents. */
static void make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(buf))
        fail("%s: path too long", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        ensure_dir(buf, mode);
        *p = '/';
    }
    ensure_dir(buf, mode);
}

static void join_path(char *out, const char *dir, const char *name)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        fail("%s/%s: path too long", dir, name);
}

/*
 * The container's directory, removed when runt exits. The child inherits
 * this atexit handler too, and never runs it: it fails with _exit (see
 * exit_failed), and execve(2) forgets the handlers.
 */
static const char *container_dir;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) < 0)
        fprintf(stderr, "runt: remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void remove_container_dir(void)
{
    if (container_dir == NULL)
        return;
    say("remove %s", container_dir);
    /* Depth first, never following symlinks nor crossing into other mounts. */
    if (nftw(container_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
        fprintf(stderr, "runt: remove %s: %s\n", container_dir, strerror(errno));
    container_dir = NULL;
}

/* Create <root>/containers/<id>/{upper,work,merged}; register its removal. */
/* lesson 04: prepare_container_dir; make exercise-4 blanks its body */
static void prepare_container_dir(struct container *c, const char *root)
{
    char containers[PATH_MAX];

    /* upperdir and workdir live here, and go into the same option string. */
    refuse_overlay_separators("--root", root);
    join_path(containers, root, "containers");
    make_dirs(containers, 0700);
    join_path(c->dir, containers, c->id);
    say("create %s/{upper,work,merged}", c->dir);
    /* No ensure_dir: a directory that exists already is another container's. */
    if (mkdir(c->dir, 0700) < 0)
        die("mkdir %s", c->dir);
    container_dir = c->dir;
    if (atexit(remove_container_dir) != 0)
        fail("atexit failed");

    join_path(c->upper, c->dir, "upper");
    join_path(c->work, c->dir, "work");
    join_path(c->merged, c->dir, "merged");
    /* The upper dir's mode becomes the mode of the container's /. */
    ensure_dir(c->upper, 0755);
    ensure_dir(c->work, 0700);
    ensure_dir(c->merged, 0755);
}
/* end of lesson 04: prepare_container_dir */

/*
 * cgroup v2 mounts one hierarchy at /sys/fs/cgroup (unified). v1 mounts a
 * tmpfs there with one hierarchy per controller below it (legacy); systemd's
 * "hybrid" adds a controller-less v2 hierarchy at /sys/fs/cgroup/unified,
 * which runt leaves alone: in hybrid mode the controllers are v1's.
 */
enum cgroup_mode { CGROUP_LEGACY, CGROUP_HYBRID, CGROUP_UNIFIED };

static enum cgroup_mode detect_cgroup_mode(void)
{
    struct statfs st;

    if (statfs(CGROUP_ROOT, &st) < 0)
        die("statfs %s", CGROUP_ROOT);
    if (st.f_type == CGROUP2_SUPER_MAGIC)
        return CGROUP_UNIFIED;
    if (st.f_type != TMPFS_MAGIC)
        fail("%s is neither cgroup2 nor a tmpfs of cgroup v1 hierarchies", CGROUP_ROOT);
    if (statfs(CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return CGROUP_HYBRID;
    return CGROUP_LEGACY;
}

/* The container's cgroups (one on v2, one per controller on v1), for cleanup. */
static struct {
    bool unified;
    size_t count;
    char dirs[N_V1_CONTROLLERS][PATH_MAX];
} cgroups;

/* Write a value into a cgroup file, e.g. <dir>/memory.max. */
static void write_cgroup_file(const char *dir, const char *file, const char *value)
{
    char path[PATH_MAX];
    int fd;

    join_path(path, dir, file);
    say("%s = %s", path, value);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s", path);
    if (write(fd, value, strlen(value)) < 0)
        die("write '%s' to %s", value, path);
    close(fd);
}

static bool cgroup_has_file(const char *dir, const char *file)
{
    char path[PATH_MAX];

    join_path(path, dir, file);
    return access(path, F_OK) == 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* Kill every process in a cgroup: with cgroup.kill (v2, Linux 5.14+), or one by one. */
static void kill_cgroup(const char *dir)
{
    char path[PATH_MAX];
    FILE *f;
    int pid;

    if (cgroup_has_file(dir, "cgroup.kill")) {
        write_cgroup_file(dir, "cgroup.kill", "1");
        return;
    }
    join_path(path, dir, "cgroup.procs");
    f = fopen(path, "re");
    if (f == NULL)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        kill(pid, SIGKILL);
    fclose(f);
}

/*
 * atexit: kill whatever is left in the container's cgroups, then remove
 * them. rmdir(2) fails with EBUSY while a cgroup holds a process; a killed
 * one leaves it as it exits (a zombie no longer counts), which can take a
 * moment, so kill and try again.
 */
/* lesson 05: remove_cgroups; make exercise-5 blanks its body */
static void remove_cgroups(void)
{
    for (size_t i = 0; i < cgroups.count; i++) {
        const char *dir = cgroups.dirs[i];

        for (int tries = 0; rmdir(dir) < 0; tries++) {
            if (errno == ENOENT)
                break;
            if (errno != EBUSY || tries == 500) {
                fprintf(stderr, "runt: rmdir %s: %s\n", dir, strerror(errno));
                break;
            }
            kill_cgroup(dir);
            sleep_ms(10);
        }
        say("remove cgroup %s", dir);
    }
    cgroups.count = 0;
}
/* end of lesson 05: remove_cgroups */

/*
 * cgroup v2's "no internal processes" rule: a cgroup that hands controllers
 * to its children (cgroup.subtree_control) may hold no process itself, or
 * the write fails with EBUSY. runt/ only ever holds container cgroups, never
 * a process, so it can delegate. The root cgroup is exempt from the rule.
 */
static void enable_v2_controllers(const char *dir)
{
    char path[PATH_MAX];
    int fd;

    join_path(path, dir, "cgroup.subtree_control");
    say("%s = +memory +pids +cpu", path);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s", path);
    /* One write per controller, so that a failure names its controller. */
    for (size_t i = 0; i < N_V1_CONTROLLERS; i++) {
        char word[16];

        snprintf(word, sizeof(word), "+%s", v1_controllers[i]);
        if (write(fd, word, strlen(word)) >= 0)
            continue;
        if (errno == EBUSY)
            fail("enable %s in %s: %s: %s holds processes, and cgroup v2 lets only a cgroup "
                 "without processes delegate controllers",
                 word, path, strerror(errno), dir);
        die("enable %s in %s", word, path);
    }
    close(fd);
}

/* Create runt/<id> (once on v2, under each controller on v1) and write the limits into it. */
/* lesson 05: create_cgroups; make exercise-5 blanks its body */
static void create_cgroups(const char *id, const struct options *opts)
{
    enum cgroup_mode mode = detect_cgroup_mode();
    char hierarchy[PATH_MAX], parent[PATH_MAX], value[64];

    say("cgroup mode: %s", mode == CGROUP_UNIFIED  ? "unified (v2)"
                           : mode == CGROUP_HYBRID ? "hybrid (v1 controllers)"
                                                   : "legacy (v1)");
    cgroups.unified = mode == CGROUP_UNIFIED;
    if (atexit(remove_cgroups) != 0)
        fail("atexit failed");

    if (cgroups.unified) {
        enable_v2_controllers(CGROUP_ROOT);
        join_path(parent, CGROUP_ROOT, "runt");
        ensure_dir(parent, 0755);
        enable_v2_controllers(parent);
        join_path(cgroups.dirs[0], parent, id);
        if (mkdir(cgroups.dirs[0], 0755) < 0)
            die("mkdir %s", cgroups.dirs[0]);
        cgroups.count = 1;
    } else {
        for (size_t i = 0; i < N_V1_CONTROLLERS; i++) {
            join_path(hierarchy, CGROUP_ROOT, v1_controllers[i]);
            join_path(parent, hierarchy, "runt");
            ensure_dir(parent, 0755);
            join_path(cgroups.dirs[i], parent, id);
            if (mkdir(cgroups.dirs[i], 0755) < 0)
                die("mkdir %s", cgroups.dirs[i]);
            cgroups.count = i + 1;
        }
    }

    /* On v1, dirs[] follows v1_controllers[]: memory, pids, cpu. */
    const char *memory = cgroups.dirs[0];
    const char *pids = cgroups.dirs[cgroups.unified ? 0 : 1];
    const char *cpu = cgroups.dirs[cgroups.unified ? 0 : 2];

    if (opts->memory > 0) {
        snprintf(value, sizeof(value), "%llu", opts->memory);
        write_cgroup_file(memory, cgroups.unified ? "memory.max" : "memory.limit_in_bytes", value);
        /* Without a swap limit too, a container would swap instead of meeting its limit. */
        if (cgroups.unified && cgroup_has_file(memory, "memory.swap.max"))
            write_cgroup_file(memory, "memory.swap.max", "0");
        if (!cgroups.unified && cgroup_has_file(memory, "memory.memsw.limit_in_bytes"))
            write_cgroup_file(memory, "memory.memsw.limit_in_bytes", value);
    }
    if (opts->pids > 0) {
        snprintf(value, sizeof(value), "%ld", opts->pids);
        write_cgroup_file(pids, "pids.max", value);
    }
    if (opts->cpu_quota_us > 0 && cgroups.unified) {
        snprintf(value, sizeof(value), "%ld %ld", opts->cpu_quota_us, CPU_PERIOD_US);
        write_cgroup_file(cpu, "cpu.max", value);
    } else if (opts->cpu_quota_us > 0) {
        snprintf(value, sizeof(value), "%ld", CPU_PERIOD_US);
        write_cgroup_file(cpu, "cpu.cfs_period_us", value);
        snprintf(value, sizeof(value), "%ld", opts->cpu_quota_us);
        write_cgroup_file(cpu, "cpu.cfs_quota_us", value);
    }
}
/* end of lesson 05: create_cgroups */

/* Move the child into the container's cgroups, before it may run the command. */
/* lesson 05: join_cgroups; make exercise-5 blanks its body */
static void join_cgroups(pid_t pid)
{
    char value[32];

    snprintf(value, sizeof(value), "%d", (int)pid);
    for (size_t i = 0; i < cgroups.count; i++)
        write_cgroup_file(cgroups.dirs[i], "cgroup.procs", value);
}
/* end of lesson 05: join_cgroups */

/* Read the value of "key value" in a cgroup file such as memory.events; -1 if absent. */
static long long read_cgroup_key(const char *dir, const char *file, const char *key)
{
    char path[PATH_MAX], name[64];
    long long value, found = -1;
    FILE *f;

    join_path(path, dir, file);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fscanf(f, "%63s %lld", name, &value) == 2)
        if (strcmp(name, key) == 0)
            found = value;
    fclose(f);
    return found;
}

/* After the container ended: say so if the OOM killer ended any of its processes. */
static bool report_oom(const char *id, const struct options *opts)
{
    long long kills;

    if (cgroups.count == 0 || opts->memory == 0)
        return false;
    /* v2 counts in memory.events, v1 in memory.oom_control (Linux 4.13+). */
    kills = read_cgroup_key(cgroups.dirs[0],
                            cgroups.unified ? "memory.events" : "memory.oom_control", "oom_kill");
    if (kills <= 0)
        return false;
    fprintf(stderr, "runt: container %s: the OOM killer ended %lld process(es) (--memory %llu)\n",
            id, kills, opts->memory);
    return true;
}

/* After a failed overlay mount: name the likely cause, in one line. */
static const char *overlay_failure_hint(const struct container *c)
{
    struct statfs st;
    char line[256];
    bool listed = false;
    FILE *f = fopen("/proc/filesystems", "r");

    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL)
            if (strstr(line, "\toverlay\n") != NULL)
                listed = true;
        fclose(f);
    }
    if (!listed)
        return "this kernel has no overlay filesystem (try: modprobe overlay)";
    if (statfs(c->upper, &st) == 0 && st.f_type == OVERLAYFS_SUPER_MAGIC)
        return "the state root is itself on overlayfs, as inside another container "
               "(use --root on a tmpfs or a disk filesystem)";
    return "the image may be on a filesystem that cannot be an overlay lower layer "
           "(dmesg tells more)";
}

/*
 * Mount the overlay: reads fall through to the image (lowerdir) unless the
 * container wrote the file, writes go to upperdir. It is mounted here, in the
 * container's own mount namespace, so the host never sees it, and it goes
 * away by itself when the last process of the container exits.
 */
/* lesson 04: mount_overlay; make exercise-4 blanks its body */
static void mount_overlay(const struct container *c)
{
    char opts[PATH_MAX * 3];

    if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", c->rootfs, c->upper,
                 c->work) >= (int)sizeof(opts))
        fail("overlay options too long");
    say("mount overlay on %s (lowerdir=%s)", c->merged, c->rootfs);
    if (mount("overlay", c->merged, "overlay", 0, opts) < 0) {
        int saved_errno = errno;

        fail("mount overlay on %s: %s: %s", c->merged, strerror(saved_errno),
             overlay_failure_hint(c));
    }
}
/* end of lesson 04: mount_overlay */

/*
 * Block until the parent has put us into our cgroup: from then on every page
 * and every task of the container is counted against its limits. EOF without
 * a byte means the parent failed; it cleans up, we just go.
 */
static void wait_for_parent(int sync_pipe[2])
{
    char byte;

    if (read(sync_pipe[0], &byte, 1) != 1)
        _exit(EXIT_RUNT_FAILED);
    close(sync_pipe[0]);
}

/*
 * A cgroup namespace makes the cgroup we are in now its root: the container
 * sees "/" in /proc/self/cgroup, not the host's runt/<id>.
 */
static void enter_cgroup_namespace(void)
{
    say("unshare cgroup namespace");
    if (unshare(CLONE_NEWCGROUP) < 0)
        die("unshare cgroup namespace");
}

/*
 * A container must not outlive runt: nobody would be left to wait for it or
 * to clean up after it. PR_SET_PDEATHSIG asks the kernel to SIGKILL the child
 * when runt dies, even of a SIGKILL, and the death of PID 1 ends every process
 * of its PID namespace (prctl(2), pid_namespaces(7)). It only covers a death
 * that comes after the call, so then check that runt is still there.
 * getppid(2) cannot say: runt lives outside our PID namespace, so it reads 0.
 * The pipe can: runt holds its write end open while it lives, and a pipe
 * whose last writer is gone polls as hung up.
 */
/* lesson 02: die_with_parent; make exercise-2 blanks its body */
static void die_with_parent(int sync_pipe[2])
{
    struct pollfd pfd = {.fd = sync_pipe[0], .events = POLLIN};

    close(sync_pipe[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die("prctl PR_SET_PDEATHSIG");
    if (poll(&pfd, 1, 0) < 0)
        die("poll the sync pipe");
    if (pfd.revents & POLLHUP)
        _exit(EXIT_RUNT_FAILED); /* runt died before the prctl: nobody is waiting for us */
}
/* end of lesson 02: die_with_parent */

/* The child, in its new namespaces: set them up, then become the command. */
static int child_main(void *arg)
{
    struct container *c = arg;

    in_child = true;
    die_with_parent(c->sync_pipe);
    wait_for_parent(c->sync_pipe);
    enter_cgroup_namespace();
    make_mounts_private();
    mount_overlay(c);
    pivot_into(c->merged);
    mount_proc();
    mount_sys();
    populate_dev();
    set_hostname(c->hostname);
    bring_up_loopback();
    exec_command(c->argv);
}

/*
 * A command that calls ptrace(PTRACE_TRACEME) makes runt its tracer: from
 * then on every signal it receives stops it, and waitpid(2) reports the stop
 * to runt (ptrace(2), "Signal-delivery-stop"). runt is no debugger: it lets
 * go and hands the signal on, as if nobody had been tracing. The SIGTRAP
 * that execve(2) sends a tracee is meant for a tracer, so it is dropped.
 */
static void detach_tracee(pid_t pid, int sig)
{
    say("child stopped by signal %d under ptrace: detach and pass it on", sig);
    if (sig == SIGTRAP)
        sig = 0;
    if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)sig) < 0 && errno != ESRCH)
        die("detach from %d", (int)pid);
}

/* Wait for the child; return its exit code, or 128 + signal, as a shell would. */
/* lesson 01: wait_for_child; make exercise-1 blanks its body */
static int wait_for_child(pid_t pid)
{
    int status;

    /* Only an exit or a fatal signal ends the wait (without WUNTRACED, a stop is ptrace's). */
    for (;;) {
        /* Forwarded signals interrupt waitpid(2) with EINTR; just wait again. */
        if (waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR)
                continue;
            die("waitpid %d", (int)pid);
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            break;
        if (WIFSTOPPED(status))
            detach_tracee(pid, WSTOPSIG(status));
    }

    if (WIFSIGNALED(status)) {
        say("child killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        return 128 + WTERMSIG(status);
    }
    say("child exited with %d", WEXITSTATUS(status));
    return WEXITSTATUS(status);
}
/* end of lesson 01: wait_for_child */

/*
 * clone(2) creates the child directly inside the new namespaces. (unshare(2)
 * would move the caller instead; for CLONE_NEWPID only the caller's future
 * children enter the new PID namespace, so a fork would still follow.)
 */
/* lesson 02: spawn_container; make exercise-2 blanks its body */
static pid_t spawn_container(struct container *c)
{
    const int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET;
    char *stack;
    pid_t pid;

    stack = malloc(CHILD_STACK_SIZE);
    if (stack == NULL)
        die("malloc child stack");
    /* Flush before clone(2), or buffered output would be written twice. */
    fflush(stdout);
    /* The stack grows down on every architecture Linux runs containers on. */
    pid = clone(child_main, stack + CHILD_STACK_SIZE, flags | SIGCHLD, c);
    if (pid < 0)
        die("clone");
    free(stack);
    return pid;
}
/* end of lesson 02: spawn_container */

int main(int argc, char **argv)
{
    struct options opts = {0};
    struct container c = {0};
    pid_t pid;
    int status;

    parse_args(argc, argv, &opts);
    verbose = opts.verbose;
    /*
     * A closed stderr (runt -v ... | head) must not kill runt before it has
     * cleaned up: with SIGPIPE ignored, a write there fails with EPIPE instead.
     */
    signal(SIGPIPE, SIG_IGN);

    resolve_rootfs(opts.rootfs, c.rootfs);
    if (opts.root == NULL) {
        const char *env_root = getenv("RUNT_ROOT");

        if (env_root != NULL && env_root[0] == '\0')
            fail("RUNT_ROOT: empty value (unset it, or name a directory)");
        opts.root = env_root != NULL ? env_root : DEFAULT_STATE_ROOT;
    }
    make_container_id(c.id);
    c.hostname = opts.hostname ? opts.hostname : c.id;
    c.argv = opts.argv;
    say("container %s", c.id);
    prepare_container_dir(&c, opts.root);
    create_cgroups(c.id, &opts);
    if (pipe2(c.sync_pipe, O_CLOEXEC) < 0)
        die("pipe");

    install_signal_forwarding();
    block_forwarded_signals(SIG_BLOCK);

    pid = spawn_container(&c);
    child_pid = pid;
    say("clone ... child pid %d (PID 1 in its new uts, pid, mnt, ipc, net namespaces)", (int)pid);
    close(c.sync_pipe[0]);
    join_cgroups(pid);
    /* The child may go on only now that it is in its cgroup. */
    say("release the child");
    if (write(c.sync_pipe[1], "x", 1) != 1)
        die("release the child");
    /* Signals that arrived since the fork are delivered now, and forwarded. */
    block_forwarded_signals(SIG_UNBLOCK);

    status = wait_for_child(pid);
    child_pid = 0;
    if (report_oom(c.id, &opts))
        status = 128 + SIGKILL;
    if (opts.keep) {
        fprintf(stderr, "runt: kept container %s: its changes are in %s\n", c.id, c.upper);
        container_dir = NULL;
    }
    return status; /* exit() runs remove_container_dir */
}
