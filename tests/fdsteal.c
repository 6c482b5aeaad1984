/*
 * fdsteal FILE: take another process's open file descriptor with
 * pidfd_getfd(2) and read FILE's first line through it.
 *
 * A child opens FILE, then waits; this process opens a pidfd for the child
 * and asks the kernel for a copy of the child's descriptor. That is allowed
 * to a process that could ptrace the other one, without any capability when
 * both run as the same user. Prints "stole: <line>" and exits 0 on success,
 * or "pidfd_getfd: <error>" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int main(int argc, char **argv)
{
    int ready[2], pidfd, fd, status = 1;
    char line[256] = "";
    ssize_t n;
    pid_t child;

    if (argc != 2) {
        fprintf(stderr, "usage: fdsteal FILE\n");
        return 2;
    }
    if (pipe(ready) < 0) {
        perror("pipe");
        return 2;
    }
    child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    if (child == 0) {
        /* The victim: its FILE is descriptor `held`; it tells the parent which, then waits. */
        int held = open(argv[1], O_RDONLY | O_CLOEXEC);

        if (held < 0 || write(ready[1], &held, sizeof(held)) != sizeof(held))
            _exit(2);
        pause();
        _exit(0);
    }
    close(ready[1]);
    if (read(ready[0], &fd, sizeof(fd)) != sizeof(fd)) {
        fprintf(stderr, "fdsteal: the child could not open %s\n", argv[1]);
        return 2;
    }
    pidfd = (int)syscall(SYS_pidfd_open, child, 0U);
    if (pidfd < 0) {
        printf("pidfd_open: %s\n", strerror(errno));
    } else {
        int stolen = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0U);

        if (stolen < 0) {
            printf("pidfd_getfd: %s\n", strerror(errno));
        } else if ((n = pread(stolen, line, sizeof(line) - 1, 0)) >= 0) {
            line[n] = '\0';
            line[strcspn(line, "\n")] = '\0';
            printf("stole: %s\n", line);
            status = 0;
        }
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return status;
}
