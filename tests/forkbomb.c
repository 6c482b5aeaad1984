/*
 * forkbomb MAX: fork children that only pause(2), until fork(2) fails or MAX
 * of them exist (MAX is at most 1000, so that it can never hurt the host).
 *
 * Under a pids cgroup limit fork fails with EAGAIN once the container holds
 * as many tasks as allowed. The stage 05 suite runs `runt --pids 20 ...
 * forkbomb 100` and checks that N + 1 (the children and this process) stays
 * within 20. Output, on stdout:
 *   forked N                 how many forks succeeded
 *   fork failed: <error>     only if one failed (strerror of its errno)
 * Then every child is killed (SIGKILL, by pid) and reaped, and the exit status
 * is 0. A bad argument exits 2. Should this process die first, its children
 * get SIGKILL from the kernel too (PR_SET_PDEATHSIG, see prctl(2)).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 1000

/* In the child: wait to be killed. Never returns. */
static void child(pid_t parent)
{
    /* Ask for SIGKILL when the parent dies. It may have died before we asked. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    static pid_t children[MAX_CHILDREN];
    pid_t self = getpid();
    int fork_errno = 0;
    char *end;
    long max;
    long n;

    if (argc != 2) {
        fprintf(stderr, "usage: forkbomb MAX (1 to %d)\n", MAX_CHILDREN);
        return 2;
    }
    max = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || max < 1 || max > MAX_CHILDREN) {
        fprintf(stderr, "forkbomb: MAX must be a whole number from 1 to %d, not '%s'\n",
                MAX_CHILDREN, argv[1]);
        return 2;
    }

    /* Nothing buffered may be copied into the children. */
    fflush(stdout);
    for (n = 0; n < max; n++) {
        pid_t pid = fork();

        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        if (pid == 0)
            child(self);
        children[n] = pid;
    }

    printf("forked %ld\n", n);
    if (fork_errno != 0)
        printf("fork failed: %s\n", strerror(fork_errno));
    fflush(stdout);

    /* Kill only our own children, by pid; then reap each one. */
    for (long i = 0; i < n; i++)
        kill(children[i], SIGKILL);
    for (long i = 0; i < n; i++)
        while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
            ;
    return 0;
}
