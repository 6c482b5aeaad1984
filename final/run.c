/*
 * runt (final): the lifecycle, seen from runt (the parent).
 *
 *   create  state dir, cgroup, clone the init, maps, cgroup.procs, GO;
 *           the init sets everything up, says READY, blocks on exec.fifo
 *   start   open exec.fifo: the init goes on to execve
 *   wait    EOF on the sync socket: execve happened; then waitpid
 *   destroy kill what is left, remove the cgroup and the state dir
 *
 * `runt run` is all four in one process. `struct container` records what
 * exists, so container_destroy() undoes exactly that, in reverse, once.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

void container_init(struct container *c, const struct config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->sync_fd = c->child_sync_fd = c->fifo_fd = c->tty_master = c->lower_fd = -1;
    for (size_t i = 0; i < ARRAY_SIZE(c->dir_fds); i++)
        c->dir_fds[i] = -1;
}

/* Check the root (the image, or a bundle's rootfs) before creating anything. */
static int resolve_rootfs(struct container *c, struct runt_err *err)
{
    const char *path = c->cfg->image != NULL ? c->cfg->image : c->cfg->root_path;
    struct stat st;

    if (path == NULL || path[0] == '\0')
        return runt_fail(err, 0, "no root filesystem given");
    if (stat(path, &st) < 0)
        return runt_fail(err, errno, "rootfs %s", path);
    if (!S_ISDIR(st.st_mode))
        return runt_fail(err, 0, "rootfs %s: not a directory", path);
    if (realpath(path, c->rootfs) == NULL)
        return runt_fail(err, errno, "rootfs %s", path);
    if (c->cfg->image != NULL)
        return refuse_overlay_separators("rootfs", c->rootfs, err);
    return 0;
}

/* A container id is 12 hex digits, like the short ids docker prints. */
int new_container_id(char *id, struct runt_err *err)
{
    unsigned char bytes[6];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
        return runt_fail(err, errno, "getrandom");
    for (size_t i = 0; i < sizeof(bytes); i++)
        sprintf(id + 2 * i, "%02x", bytes[i]);
    return 0;
}

static int choose_id(struct container *c, struct runt_err *err)
{
    if (c->cfg->id == NULL)
        return new_container_id(c->id, err);
    snprintf(c->id, sizeof(c->id), "%s", c->cfg->id);
    return 0;
}

/*
 * exec.fifo, which the init will block on, opened here (O_PATH) so that the
 * init inherits it. It belongs to the container's root, which may be a
 * user namespace's root that the host sees as uid 100000.
 */
static int make_exec_fifo(struct container *c, struct runt_err *err)
{
    uid_t owner = host_uid_of_root(c->cfg);

    if (mkfifo(c->fifo, 0600) < 0)
        return runt_fail(err, errno, "mkfifo %s", c->fifo);
    if (chown(c->fifo, owner, owner) < 0)
        return runt_fail(err, errno, "chown %s", c->fifo);
    c->fifo_fd = open(c->fifo, O_PATH | O_CLOEXEC);
    if (c->fifo_fd < 0)
        return runt_fail(err, errno, "open %s", c->fifo);
    return 0;
}

/*
 * --userns: upper and work belong to the container's root, which copy-up runs
 * as. overlayfs in a user namespace keeps whiteouts and opaque directories in
 * user.* xattrs (userxattr), so the upper layer's filesystem must take them:
 * tmpfs does only from Linux 6.6. Without them a deleted directory comes back.
 */
static int prepare_dirs_for_userns(struct container *c, struct runt_err *err)
{
    uid_t owner = host_uid_of_root(c->cfg);

    if (setxattr(c->upper, "user.runt.probe", "1", 1, 0) < 0)
        return runt_fail(err, errno == ENOTSUP ? 0 : errno,
                         "--userns: %s cannot hold user.* xattrs, which overlayfs needs in a user "
                         "namespace (tmpfs before Linux 6.6): use --root on another filesystem",
                         c->cfg->state_root);
    removexattr(c->upper, "user.runt.probe");
    if (chown(c->upper, owner, owner) < 0 || chown(c->work, owner, owner) < 0)
        return runt_fail(err, errno, "chown the overlay's directories in %s", c->dir);
    return 0;
}

static int child_entry(void *arg)
{
    child_main(arg);
}

/* The namespaces `runt run` gives every container. */
#define CLONE_NAMESPACES_OF_RUN                                                                    \
    (CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET)

/* The child's stack. Without CLONE_VM the child gets a copy-on-write copy of it. */
#define CHILD_STACK_SIZE ((size_t)1024 * 1024)

/*
 * clone(2) creates the init directly inside its new namespaces (unshare(2)
 * would move runt itself, and only the caller's later children enter a new
 * PID namespace).
 */
/*
 * A PID namespace given by path (OCI) is joined here, by runt: setns(2) with
 * CLONE_NEWPID changes only where runt's next child goes, which is the init.
 */
static int join_pid_namespace(const char *path, struct runt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return runt_fail(err, errno, "open namespace %s", path);
    say("join pid namespace %s (for the init)", path);
    if (setns(fd, CLONE_NEWPID) < 0) {
        runt_fail(err, errno, "setns %s", path);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int spawn_init(struct container *c, struct runt_err *err)
{
    unsigned long flags = clone_flags(c->cfg);
    char *stack;

    if (c->cfg->ns[NS_PID].path != NULL && join_pid_namespace(c->cfg->ns[NS_PID].path, err) < 0)
        return -1;
    stack = malloc(CHILD_STACK_SIZE);
    if (stack == NULL)
        return runt_fail(err, errno, "malloc");
    /* Flush before clone(2), or buffered output would be written twice. */
    fflush(stdout);
    block_forwarded_signals(SIG_BLOCK);
    /* The stack grows down on every architecture Linux runs containers on. */
    c->pid = clone(child_entry, stack + CHILD_STACK_SIZE, (int)flags | SIGCHLD, c);
    if (c->pid < 0)
        runt_fail(err, errno, "clone"); /* now: what follows may change errno */
    else
        forward_signals_to(c->pid);
    block_forwarded_signals(SIG_UNBLOCK);
    free(stack);
    if (c->pid < 0)
        return -1;
    if ((flags & CLONE_NAMESPACES_OF_RUN) == CLONE_NAMESPACES_OF_RUN)
        say("clone ... child pid %d (PID 1 in its new uts, pid, mnt, ipc, net%s namespaces)",
            (int)c->pid, flags & CLONE_NEWUSER ? ", user" : "");
    else
        say("clone ... child pid %d (clone flags %#lx)", (int)c->pid, flags);
    close(c->child_sync_fd);
    c->child_sync_fd = -1;
    return proc_start_time(c->pid, &c->start_time, err);
}

/* What only runt can do for the init: its id maps and idmapped image, its cgroup. Then GO. */
static int release_init(struct container *c, struct runt_err *err)
{
    const struct config *cfg = c->cfg;

    if (cfg->ns[NS_USER].create) {
        if (write_id_maps(c->pid, cfg, err) < 0)
            return -1;
        /* The image, idmapped; or, where its filesystem cannot be, a copy (EINVAL). */
        if (cfg->image != NULL && idmapped_image(c->rootfs, c->pid, &c->lower_fd, err) < 0 &&
            (err->errnum != EINVAL || copy_image_shifted(c->rootfs, c->lower, cfg, err) < 0))
            return -1;
        /* The fd, or none for the copy: the init opens that itself, as it does upper. */
        if (cfg->image != NULL && sync_send(c->sync_fd, SYNC_FD, c->lower_fd, err) < 0)
            return -1;
        if (c->lower_fd >= 0)
            close(c->lower_fd);
        c->lower_fd = -1;
    }
    if (cgroup_join(&c->cgroups, c->pid, err) < 0)
        return -1;
    /* The init may go on only now that it is in its cgroup. */
    say("release the child");
    return sync_send(c->sync_fd, SYNC_GO, -1, err);
}

/* Messages until READY: the pty master may come first. */
static int wait_until_ready(struct container *c, struct runt_err *err)
{
    for (;;) {
        struct sync_msg m;
        int fd, rc = sync_recv(c->sync_fd, &m, &fd, err);

        if (rc < 0)
            return -1;
        if (rc == 0)
            return runt_fail(err, 0, "the container's init died during setup");
        if (m.type == SYNC_ERROR)
            return runt_fail(err, m.errnum, "%s", m.msg);
        if (m.type == SYNC_FD && c->tty_master < 0)
            c->tty_master = fd;
        else if (fd >= 0)
            close(fd);
        if (m.type == SYNC_READY)
            return 0;
    }
}

int container_create(struct container *c, struct runt_err *err)
{
    char cgroup[RUNT_ID_MAX + 8];
    int fds[2];

    if (resolve_rootfs(c, err) < 0 || choose_id(c, err) < 0)
        return -1;
    if (c->cfg->ns[NS_USER].create && refuse_mapped_host_nodes(c->cfg, err) < 0)
        return -1;
    say("container %s", c->id);
    c->created = (long long)time(NULL);
    if (rootfs_prepare_dirs(c, err) < 0 || make_exec_fifo(c, err) < 0)
        return -1;
    if (c->cfg->ns[NS_USER].create && c->cfg->image != NULL && prepare_dirs_for_userns(c, err) < 0)
        return -1;
    /* runt/<id>, unless an OCI config names the cgroup. */
    snprintf(cgroup, sizeof(cgroup), "runt/%s", c->id);
    if (cgroup_create(&c->cgroups, c->cfg->cgroups_path ? c->cfg->cgroups_path : cgroup,
                      &c->cfg->resources, err) < 0)
        return -1;
    if (sync_pair(fds, err) < 0)
        return -1;
    c->sync_fd = fds[0];
    c->child_sync_fd = fds[1];
    if (spawn_init(c, err) < 0 || release_init(c, err) < 0 || wait_until_ready(c, err) < 0)
        return -1;
    return state_save(c, "created", err);
}

/* Is the init still the process we started (not a zombie, not a recycled pid)? */
static bool init_alive(const struct container *c)
{
    unsigned long long now;
    struct runt_err ignored;

    return c->pid > 0 && !c->reaped && proc_start_time(c->pid, &now, &ignored) == 0 &&
           now == c->start_time;
}

/*
 * Open exec.fifo for reading, which lets the init's open for writing return;
 * its one byte says it is through. O_NONBLOCK and poll(2), so that an init
 * that died meanwhile is noticed instead of waited for forever.
 */
int container_start(struct container *c, struct runt_err *err)
{
    char byte;
    int fd;

    say("start: open %s", c->fifo);
    fd = open(c->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return runt_fail(err, errno, "open %s", c->fifo);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, 100);

        if (n > 0 && read(fd, &byte, 1) == 1)
            break;
        if ((n < 0 && errno != EINTR) || !init_alive(c)) {
            close(fd);
            return runt_fail(err, 0, "start: the container's init is gone");
        }
    }
    close(fd);
    /* No exec.fifo: started. (A start in another process knows only the state; see state.c.) */
    unlink(c->fifo);
    return 0;
}

int exit_code_of(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/*
 * Wait for pid to end. Only an exit or a death by signal ends the wait: a
 * command that made runt its tracer (PTRACE_TRACEME) shows ptrace stops,
 * which are not exits; runt detaches and passes the stopping signal on.
 */
int wait_exit_status(pid_t pid, int *status, struct runt_err *err)
{
    for (;;) {
        if (waitpid(pid, status, 0) < 0) {
            if (errno == EINTR) /* a forwarded signal: wait again */
                continue;
            return runt_fail(err, errno, "waitpid %d", (int)pid);
        }
        if (WIFEXITED(*status) || WIFSIGNALED(*status))
            return 0;
        if (WIFSTOPPED(*status)) {
            /* The SIGTRAP that execve(2) sends a tracee is meant for a tracer: dropped. */
            int sig = WSTOPSIG(*status);

            say("child stopped by signal %d under ptrace: detach and pass it on", sig);
            if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)(sig == SIGTRAP ? 0 : sig)) < 0 &&
                errno != ESRCH)
                return runt_fail(err, errno, "detach from %d", (int)pid);
        }
    }
}

/*
 * After start: EOF on the sync socket means execve happened; a message means
 * a step after start failed (exec itself: 126 or 127). Then relay the
 * terminal, if any, and wait for the exit.
 */
int container_wait(struct container *c, int *exit_code, struct runt_err *err)
{
    struct sync_msg m;
    int rc = sync_recv(c->sync_fd, &m, NULL, err);

    *exit_code = EXIT_RUNT_FAILED;
    if (rc < 0)
        return -1;
    if (rc > 0 && m.type == SYNC_ERROR) {
        *exit_code = m.exit_code;
        return runt_fail(err, m.errnum, "%s", m.msg);
    }
    if (c->tty_master >= 0 && tty_relay(c->tty_master, c, err) < 0)
        return -1;
    if (wait_exit_status(c->pid, &c->wait_status, err) < 0)
        return -1;
    c->reaped = true;
    forward_signals_to(0);
    if (WIFSIGNALED(c->wait_status))
        say("child killed by signal %d (%s)", WTERMSIG(c->wait_status),
            strsignal(WTERMSIG(c->wait_status)));
    else
        say("child exited with %d", WEXITSTATUS(c->wait_status));
    *exit_code = exit_code_of(c->wait_status);
    if (cgroup_report_oom(&c->cgroups, c->id, c->cfg->resources.memory))
        *exit_code = 128 + SIGKILL;
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The one teardown: whatever create made, in reverse order. Safe to call twice. */
void container_destroy(struct container *c)
{
    tty_restore(c);
    close_fd(&c->sync_fd);
    close_fd(&c->child_sync_fd);
    close_fd(&c->fifo_fd);
    close_fd(&c->tty_master);
    close_fd(&c->lower_fd);
    for (size_t i = 0; i < ARRAY_SIZE(c->dir_fds); i++)
        close_fd(&c->dir_fds[i]);
    if (c->pid > 0 && !c->reaped) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->reaped = true;
    }
    forward_signals_to(0);
    cgroup_destroy(&c->cgroups);
    if (c->dir_created && c->cfg->keep) {
        runt_print("kept container %s: its changes are in %s", c->id, c->upper);
    } else if (c->dir_created) {
        say("remove %s", c->dir);
        if (remove_tree(c->dir) < 0)
            runt_print("remove %s: %s", c->dir, strerror(errno));
    }
    c->dir_created = false;
}
