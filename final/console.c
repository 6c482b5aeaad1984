/*
 * runt (final): what runt hands to the program that drives it: the pty
 * master, through the console socket, and the pid file.
 *
 * With a terminal, conmon (podman's) or containerd's shim listens on a Unix
 * socket and passes its path as --console-socket. runt connects and sends
 * the pty's master as SCM_RIGHTS (unix(7)): exactly one fd, in one message,
 * before `create` returns. From then on the client holds the terminal: it
 * copies between the master and the user, and runt is gone.
 */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* The master, with the pty's name as the message (go-runc names the file after it). */
static int send_master(int sock, int master, struct runt_err *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    char name[32] = "/dev/ptmx";
    unsigned int n;
    struct iovec iov = {.iov_base = name};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cm;

    /* TIOCGPTN: the number of the pty in the container's devpts. */
    if (ioctl(master, TIOCGPTN, &n) == 0)
        snprintf(name, sizeof(name), "/dev/pts/%u", n);
    iov.iov_len = strlen(name);
    memset(&control, 0, sizeof(control));
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            return runt_fail(err, errno, "--console-socket: send the pty");
    return 0;
}

/* Connect to the client's console socket (before runt exec enters the container's mounts). */
int console_connect(const char *socket_path, struct runt_err *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int sock;

    if (strlen(socket_path) >= sizeof(addr.sun_path))
        return runt_fail(err, ENAMETOOLONG, "--console-socket %s", socket_path);
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return runt_fail(err, errno, "--console-socket: socket");
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        runt_fail(err, errno, "--console-socket: connect to %s", socket_path);
        close(sock);
        return -1;
    }
    return sock;
}

/* Send the master over a connected console socket, and close it. */
int console_send(int sock, int master, struct runt_err *err)
{
    int rc;

    if (master < 0)
        rc = runt_fail(err, 0, "--console-socket: the container has no terminal");
    else
        rc = send_master(sock, master, err);
    close(sock);
    return rc;
}

int send_console(const char *socket_path, int master, struct runt_err *err)
{
    int sock;

    say("send the pty master to %s", socket_path);
    sock = console_connect(socket_path, err);
    return sock < 0 ? -1 : console_send(sock, master, err);
}

/* The pid file's directory, opened now: runt exec writes the file from inside the container. */
int pid_file_open(const char *path, struct pid_file *pf, struct runt_err *err)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : (int)(slash - path + 1),
             slash == NULL ? "." : path);
    if (snprintf(pf->name, sizeof(pf->name), "%s", slash == NULL ? path : slash + 1) >=
            (int)sizeof(pf->name) ||
        pf->name[0] == '\0')
        return runt_fail(err, ENAMETOOLONG, "--pid-file %s", path);
    pf->dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pf->dir < 0)
        return runt_fail(err, errno, "--pid-file %s", path);
    return 0;
}

/*
 * The pid file holds the process's pid as the host sees it; conmon and the
 * shim wait for that process. Written to a temporary name and renamed, so
 * that a reader never sees half a number.
 */
int pid_file_write(struct pid_file *pf, pid_t pid, struct runt_err *err)
{
    char tmp[NAME_MAX + 16], text[16];
    int fd, len = snprintf(text, sizeof(text), "%d", (int)pid), rc = 0;
    bool written;

    snprintf(tmp, sizeof(tmp), ".%.*s.runt-tmp", NAME_MAX - 10, pf->name);
    fd = openat(pf->dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = runt_fail(err, errno, "--pid-file %s", pf->name);
    } else {
        written = write(fd, text, (size_t)len) == len;
        if (close(fd) < 0 || !written || renameat(pf->dir, tmp, pf->dir, pf->name) < 0) {
            rc = runt_fail(err, errno, "--pid-file %s", pf->name);
            unlinkat(pf->dir, tmp, 0);
        }
    }
    close(pf->dir);
    pf->dir = -1;
    return rc;
}

int write_pid_file(const char *path, pid_t pid, struct runt_err *err)
{
    struct pid_file pf = {.dir = -1};

    if (pid_file_open(path, &pf, err) < 0)
        return -1;
    return pid_file_write(&pf, pid, err);
}
