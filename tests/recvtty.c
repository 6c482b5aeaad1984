/*
 * recvtty SOCKET: the other end of runc's --console-socket, as conmon and
 * containerd's shim are, for the tests of final/oci.bats.
 *
 * Listens on the Unix socket SOCKET, accepts one connection, and receives
 * one message: it must carry exactly one file descriptor (SCM_RIGHTS,
 * unix(7)), and that must be a pty master (TIOCGPTN answers). It prints
 * "recvtty: 1 fd, pty N, message 'NAME'" on stderr, then copies what the
 * container writes to the terminal onto stdout, until the container's side
 * is closed. Anything else: one line on stderr, exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "recvtty: %s: %s\n", what, errno ? strerror(errno) : "wrong");
    return 1;
}

/* The one message, and the fds it carries (up to 4, to count what was sent). */
static int receive(int conn, int *fds, int *n_fds, char *name, size_t size)
{
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = name, .iov_len = size - 1};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf)};
    ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);

    *n_fds = 0;
    if (n < 0)
        return -1;
    name[n] = '\0';
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        *n_fds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(cm), (size_t)*n_fds * sizeof(int));
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int sock, conn, fds[4], n_fds;
    unsigned int pty;
    char name[256], buf[4096];
    ssize_t n;

    if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: recvtty SOCKET\n");
        return 2;
    }
    memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 1) < 0)
        return fail(argv[1]);
    conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0 || receive(conn, fds, &n_fds, name, sizeof(name)) < 0)
        return fail("receive");
    if (n_fds != 1) {
        fprintf(stderr, "recvtty: %d fds, not 1\n", n_fds);
        return 1;
    }
    if (ioctl(fds[0], TIOCGPTN, &pty) < 0)
        return fail("not a pty master");
    fprintf(stderr, "recvtty: 1 fd, pty %u, message '%s'\n", pty, name);
    /* read() gives EIO once no process holds the pty's other side. */
    while ((n = read(fds[0], buf, sizeof(buf))) > 0)
        if (write(STDOUT_FILENO, buf, (size_t)n) != n)
            return fail("write");
    unlink(argv[1]);
    return 0;
}
