/*
 * runt, stage 01: fork, exec, wait.
 *
 * A container is a process. Before it can be isolated it has to be started,
 * watched and reported on, and that is all this stage does: fork a child,
 * exec the command in it, wait for it and exit with its status.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o runt runt.c
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNT_VERSION "0.1.0"

/* docker's exit codes: 125 runt failed, 126 cannot execute, 127 not found. */
enum { EXIT_RUNT_FAILED = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

struct options {
    bool verbose;
    char **argv; /* the command and its arguments */
};

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
    fputs("usage: runt run [-v] <command> [args...]\n"
          "       runt --help | --version\n"
          "\n"
          "  -v, --verbose   narrate each step on stderr\n"
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
        {"verbose", no_argument, NULL, 'v'},
        {"help",    no_argument, NULL, 'h'},
        {NULL,      0,           NULL, 0  },
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

        c = getopt_long(argc, argv, "+vh", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'v':
            opts->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
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

int main(int argc, char **argv)
{
    struct options opts = {0};
    pid_t pid;

    parse_args(argc, argv, &opts);
    verbose = opts.verbose;

    install_signal_forwarding();
    block_forwarded_signals(SIG_BLOCK);

    /* Flush before fork(2), or buffered output would be written twice. */
    fflush(stdout);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        in_child = true;
        exec_command(opts.argv);
    }

    child_pid = pid;
    say("fork ... child pid %d", (int)pid);
    /* Signals that arrived since the fork are delivered now, and forwarded. */
    block_forwarded_signals(SIG_UNBLOCK);

    return wait_for_child(pid);
}
