/*
 * traceme STATUS: ask to be traced by the parent (ptrace(PTRACE_TRACEME)),
 * then receive a signal, which under ptrace stops this process and reports
 * the stop to the parent before the signal is delivered. A parent that hands
 * the signal on lets the handler run; then this exits with STATUS.
 * Prints what happened, so that a test can tell a lost signal from a lost exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = on_usr1};

    if (argc != 2) {
        fprintf(stderr, "usage: traceme STATUS\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
        printf("traceme: %s\n", strerror(errno));
    else
        printf("traceme: traced\n");
    raise(SIGUSR1);
    printf("usr1: %s\n", got_usr1 ? "handled" : "lost");
    return atoi(argv[1]);
}
