/*
 * runt, stage 02: namespaces.
 *
 * The child is now created with clone(2) in new UTS, PID, mount, IPC and
 * network namespaces: it gets its own hostname, its own process tree (it is
 * PID 1), its own mount table, its own SysV IPC objects and its own network
 * stack with nothing but a loopback interface.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o runt runt.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNT_VERSION "0.1.0"

/* docker's exit codes: 125 runt failed, 126 cannot execute, 127 not found. */
enum { EXIT_RUNT_FAILED = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

struct options {
    bool verbose;
    const char *hostname; /* --hostname, or NULL for the container id */
    char **argv;          /* the command and its arguments */
};

/* A container id is 12 hex digits, like the short ids docker prints. */
#define CONTAINER_ID_LEN 12

/* Everything the child needs; clone(2) hands it a copy through its argument. */
struct container {
    char id[CONTAINER_ID_LEN + 1];
    const char *hostname;
    int sync_pipe[2]; /* runt holds [1] open while it lives: see die_with_parent */
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
    fputs("usage: runt run [-v] [--hostname NAME] <command> [args...]\n"
          "       runt --help | --version\n"
          "\n"
          "  -v, --verbose      narrate each step on stderr\n"
          "  --hostname NAME    the container's hostname (default: its id)\n"
          "\n"
          "Options end at the command: `runt run ls -v` passes -v to ls.\n",
          out);
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
        fail("run: no command given (try: runt --help)");
    opts->argv = argv + optind;
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
    make_mounts_private();
    mount_proc();
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

    parse_args(argc, argv, &opts);
    verbose = opts.verbose;

    make_container_id(c.id);
    c.hostname = opts.hostname ? opts.hostname : c.id;
    c.argv = opts.argv;
    say("container %s", c.id);

    if (pipe2(c.sync_pipe, O_CLOEXEC) < 0)
        die("pipe");

    install_signal_forwarding();
    block_forwarded_signals(SIG_BLOCK);

    pid = spawn_container(&c);
    child_pid = pid;
    say("clone ... child pid %d (PID 1 in its new uts, pid, mnt, ipc, net namespaces)", (int)pid);
    close(c.sync_pipe[0]);
    /* Signals that arrived since the fork are delivered now, and forwarded. */
    block_forwarded_signals(SIG_UNBLOCK);

    return wait_for_child(pid);
}
