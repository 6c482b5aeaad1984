/*
 * runt (final): -t, a terminal for the container.
 *
 * The pty comes from the container's own devpts (pty(7)): the init opens
 * /dev/ptmx there, makes the peer its controlling terminal and its stdin,
 * stdout and stderr, and passes the master to runt over the sync socket.
 * runt puts the caller's terminal in raw mode, so that every key (^C
 * included) reaches the container, and copies bytes both ways until the
 * container side closes. The caller's terminal is restored on every exit.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* In the init, after pivot_root: /dev/ptmx is pts/ptmx of the container's devpts. */
/* lesson final: tty_open_in_container; make exercise-final blanks its body */
int tty_open_in_container(int *master_out, struct runt_err *err)
{
    const char *step = "unlockpt /dev/ptmx";
    int master, peer = -1;

    say("open a pty in the container's devpts; its peer is the controlling terminal");
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return runt_fail(err, errno, "open /dev/ptmx");
    if (unlockpt(master) < 0)
        goto fail;
    /* TIOCGPTPEER opens the peer from the master itself: no /dev/pts/N path to trust. */
    step = "open the pty's peer";
    peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (peer < 0)
        goto fail;
    /* A new session has no controlling terminal; TIOCSCTTY makes the peer its terminal. */
    step = "setsid";
    if (setsid() < 0)
        goto fail;
    step = "make the pty the controlling terminal";
    if (ioctl(peer, TIOCSCTTY, 0) < 0)
        goto fail;
    step = "make the pty stdin, stdout and stderr";
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(peer, fd) < 0)
            goto fail;
    if (peer > 2)
        close(peer);
    *master_out = master;
    return 0;
fail:
    runt_fail(err, errno, "%s", step);
    if (peer > 2)
        close(peer);
    close(master);
    return -1;
}
/* end of lesson final: tty_open_in_container */

/* OCI's consoleSize: the pty's size before anyone attaches to it (tty_ioctl(4)). */
int tty_set_size(int master, const struct process_config *p, struct runt_err *err)
{
    struct winsize ws = {.ws_row = p->console_rows, .ws_col = p->console_cols};

    if ((ws.ws_row == 0 && ws.ws_col == 0) || ioctl(master, TIOCSWINSZ, &ws) == 0)
        return 0;
    return runt_fail(err, errno, "set the terminal's size");
}

static volatile sig_atomic_t window_changed;

static void note_window_change(int sig)
{
    (void)sig;
    window_changed = 1;
}

/* The caller's window size (its stdin's, else stdout's) onto the pty; the kernel sends SIGWINCH. */
static void copy_window_size(int master)
{
    struct winsize ws;

    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Raw mode: no line editing, no echo, no signals from keys: the container's pty does those. */
static int make_raw(struct container *c, struct runt_err *err)
{
    struct termios raw;

    if (!isatty(STDIN_FILENO))
        return 0;
    if (tcgetattr(STDIN_FILENO, &c->termios) < 0)
        return runt_fail(err, errno, "tcgetattr");
    c->termios_saved = true;
    raw = c->termios;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
        return runt_fail(err, errno, "tcsetattr");
    return 0;
}

void tty_restore(struct container *c)
{
    if (!c->termios_saved)
        return;
    tcsetattr(STDIN_FILENO, TCSANOW, &c->termios);
    c->termios_saved = false;
}

/*
 * Copy stdin to the master and the master to stdout until the container's
 * side is closed (read gives EIO once no process holds the peer).
 */
int tty_relay(int master, struct container *c, struct runt_err *err)
{
    struct sigaction sa = {.sa_handler = note_window_change};
    struct pollfd fds[2] = {
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = master,       .events = POLLIN}
    };
    char buf[4096];

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGWINCH, &sa, NULL) < 0)
        return runt_fail(err, errno, "sigaction SIGWINCH");
    if (make_raw(c, err) < 0)
        return -1;
    copy_window_size(master);
    for (;;) {
        ssize_t n;

        if (window_changed) {
            window_changed = 0;
            copy_window_size(master);
        }
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return runt_fail(err, errno, "poll");
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0)
                fds[0].fd = -1; /* stdin ended: stop reading it, keep relaying output */
            else if (write_all(master, buf, (size_t)n) < 0)
                return runt_fail(err, errno, "write to the pty");
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            n = read(master, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return 0;
            if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                return runt_fail(err, errno, "write to stdout");
        }
    }
}
