/*
 * bench-floor ROOTFS COMMAND [ARGS...]: the floor under every runtime in
 * `make bench`. It starts COMMAND the cheapest way that still gives it the
 * five namespaces runt gives a container, and does nothing else:
 *
 *   clone(2) with CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
 *   CLONE_NEWNET, chroot(2) into ROOTFS, execvp(3), waitpid(2).
 *
 * No mounts, no cgroups, no capability or seccomp work, no teardown beyond
 * what the kernel does when the namespaces' last process exits. A runtime
 * that creates the same namespaces cannot start and reap a command faster.
 *
 * Exit status: the command's, 128 + N if signal N killed it, 125 if this
 * program failed (it says why on stderr), 127 if the command cannot be run.
 * Needs root (CAP_SYS_ADMIN for the namespaces, CAP_SYS_CHROOT).
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAMESPACES (CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET)

/*
 * clone(3) runs the child on a stack we give it. Without CLONE_VM the child
 * gets a copy of our memory, as after fork(2), so a static buffer will do;
 * the child only needs a few frames of it before execvp.
 */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

/* In the child: PID 1 of the new namespaces. Its return value is its exit status. */
static int start_command(void *arg)
{
    char **argv = arg; /* ROOTFS COMMAND [ARGS...] */

    /* chdir after chroot: chroot(2) leaves the working directory outside. */
    if (chroot(argv[0]) < 0 || chdir("/") < 0) {
        fprintf(stderr, "bench-floor: chroot %s: %m\n", argv[0]);
        return 125;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "bench-floor: exec %s: %m\n", argv[1]);
    return 127;
}

int main(int argc, char **argv)
{
    pid_t pid;
    int status;

    if (argc < 3) {
        fprintf(stderr, "usage: bench-floor ROOTFS COMMAND [ARGS...]\n");
        return 125;
    }
    /* SIGCHLD: the exit signal of an ordinary child, so that waitpid(2) sees it. */
    pid = clone(start_command, child_stack + sizeof(child_stack), NAMESPACES | SIGCHLD, argv + 1);
    if (pid < 0) {
        perror("bench-floor: clone");
        return 125;
    }
    if (waitpid(pid, &status, 0) < 0) {
        perror("bench-floor: waitpid");
        return 125;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
