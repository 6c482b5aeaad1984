/*
 * runt (final): the signals runt passes on to the process it waits for (the
 * container's init, or the process of `runt exec`), and the defaults that
 * process gets back before execve(2).
 */
#include "container.h"

#include <errno.h>
#include <signal.h>

/*
 * The signals runt passes on. runt must outlive its child to report how the
 * child ended, so instead of dying from them it forwards them.
 */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
    int saved_errno = errno;

    /* kill(0, sig) would signal our whole process group: never before clone returned. */
    if (forward_pid > 0)
        kill(forward_pid, sig);
    errno = saved_errno;
}

void forward_signals_to(pid_t pid)
{
    forward_pid = pid;
}

int install_signal_forwarding(struct runt_err *err)
{
    struct sigaction sa = {.sa_handler = forward_signal};

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
        if (sigaction(forwarded_signals[i], &sa, NULL) < 0)
            return runt_fail(err, errno, "sigaction");
    return 0;
}

/* Block (or unblock) the forwarded signals, so that none arrives between clone and forward_pid. */
void block_forwarded_signals(int how)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
        sigaddset(&set, forwarded_signals[i]);
    sigprocmask(how, &set, NULL);
}

/* Dispositions and the signal mask survive execve(2): give the command the defaults. */
void reset_signals_for_exec(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
        signal(forwarded_signals[i], SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGWINCH, SIG_DFL);
    block_forwarded_signals(SIG_UNBLOCK);
}
