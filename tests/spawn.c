/*
 * spawn: start a thread and spawn a program (true), the two things glibc
 * builds on clone3(2). Under a filter that answers clone3 with ENOSYS, glibc
 * falls back to clone(2); with EPERM it would give up. Prints "thread OK" and
 * "spawn OK", or what failed; exits 0 only when both worked.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static void *thread_main(void *arg)
{
    return arg;
}

int main(void)
{
    char *argv[] = {"true", NULL};
    pthread_t thread;
    int err, status, failed = 0;
    pid_t pid;
    void *ret;

    err = pthread_create(&thread, NULL, thread_main, argv);
    if (err == 0)
        err = pthread_join(thread, &ret);
    printf("thread %s\n", err == 0 ? "OK" : strerror(err));
    failed |= err != 0;

    err = posix_spawnp(&pid, "true", NULL, NULL, argv, environ);
    if (err == 0 && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)))
        err = -1;
    printf("spawn %s\n", err == 0 ? "OK" : err > 0 ? strerror(err) : "true did not exit 0");
    failed |= err != 0;
    return failed;
}
