/*
 * runt (final): the container's init, from clone(2) to execve(2).
 *
 * One checklist, in order. Each step returns 0 or -1 with its error; the
 * first failure goes to runt over the sync socket, and the init _exit()s.
 * Nothing here prints an error or calls exit(3): that is runt's business.
 */
#include "container.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
#include <unistd.h>

/* OCI configs may name a namespace to join (a netns made by podman) instead of a new one. */
static int join_namespace_paths(const struct config *cfg, struct runt_err *err)
{
    for (int ns = 0; ns < NS_COUNT; ns++) {
        const char *path = cfg->ns[ns].path;
        int fd;

        /* runt joined a PID namespace itself, before clone (run.c). */
        if (path == NULL || ns == NS_PID)
            continue;
        say("join namespace %s", path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return runt_fail(err, errno, "open namespace %s", path);
        if (setns(fd, 0) < 0) {
            runt_fail(err, errno, "setns %s", path);
            close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}

/*
 * A cgroup namespace makes the cgroup we are in now its root: the container
 * sees "/" in /proc/self/cgroup, not the host's runt/<id>.
 */
static int enter_cgroup_namespace(struct runt_err *err)
{
    say("unshare cgroup namespace");
    if (unshare(CLONE_NEWCGROUP) < 0)
        return runt_fail(err, errno, "unshare cgroup namespace");
    return 0;
}

/*
 * A new network namespace holds only a loopback interface, and it is down.
 * SIOCSIFFLAGS with IFF_UP on any socket of the namespace brings it up, so
 * 127.0.0.1 works. See netdevice(7).
 */
static int bring_up_loopback(struct runt_err *err)
{
    struct ifreq ifr = {0};
    int fd, rc = 0;

    say("bring up lo");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return runt_fail(err, errno, "socket");
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        rc = runt_fail(err, errno, "get flags of lo");
    } else {
        ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
            rc = runt_fail(err, errno, "bring up lo");
    }
    close(fd);
    return rc;
}

static int set_hostname(const char *name, struct runt_err *err)
{
    say("sethostname %s", name);
    if (sethostname(name, strlen(name)) < 0)
        return runt_fail(err, errno, "sethostname %s", name);
    return 0;
}

static int load_filter(const struct seccomp_profile *filter, uint64_t caps, bool from_config,
                       struct runt_err *err)
{
    say("install seccomp filter: %s", from_config ? "config.json's" : "runt's default allowlist");
    return load_seccomp(filter, caps, err);
}

/*
 * A session keyring of the container's own (keyrings(7)): the keys of
 * runt's caller, in the session keyring it would otherwise inherit, are
 * not the container's. keyctl(2) has no glibc wrapper.
 */
static int join_session_keyring(struct runt_err *err)
{
    say("join a new session keyring");
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
        return runt_fail(err, errno, "keyctl: join a new session keyring");
    return 0;
}

/*
 * Created, waiting for start: open exec.fifo for writing, which blocks until
 * `runt start` (or runt run itself) opens it for reading; then one byte says
 * we are through. runt opened the fifo for us (O_PATH) before clone; its
 * /proc/self/fd link reopens it without walking the state root's path.
 */
static int wait_for_start(int fifo_fd, struct runt_err *err)
{
    char path[32];
    int fd;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return runt_fail(err, errno, "open exec.fifo");
    if (write(fd, "0", 1) != 1) {
        runt_fail(err, errno, "write exec.fifo");
        close(fd);
        return -1;
    }
    close(fd);
    close(fifo_fd);
    return 0;
}

/* Until GO, runt writes our uid/gid maps and puts us into our cgroup. */
static int wait_for_runt(struct container *c, struct runt_err *err)
{
    const struct config *cfg = c->cfg;
    int fd = c->child_sync_fd;

    if (cfg->kill_with_parent && set_parent_death_signal(fd, err) < 0)
        return -1;
    if (cfg->ns[NS_USER].create && cfg->image != NULL &&
        sync_expect(fd, SYNC_FD, &c->lower_fd, err) < 0)
        return -1;
    if (sync_expect(fd, SYNC_GO, NULL, err) < 0)
        return -1;
    if (cfg->ns[NS_USER].create && cfg->image != NULL && rootfs_open_layers(c, err) < 0)
        return -1;
    /* In a new user namespace, become its root (a change of euid: PDEATHSIG again). */
    if (cfg->ns[NS_USER].create &&
        (become_userns_root(err) < 0 ||
         (cfg->kill_with_parent && set_parent_death_signal(fd, err) < 0)))
        return -1;
    return 0;
}

/* Namespaces, root filesystem, hostname, network, terminal: the container's world. */
static int set_up_container(struct container *c, struct runt_err *err)
{
    const struct config *cfg = c->cfg;
    int master;

    if (join_namespace_paths(cfg, err) < 0)
        return -1;
    if (cfg->ns[NS_CGROUP].create && cfg->ns[NS_CGROUP].path == NULL &&
        enter_cgroup_namespace(err) < 0)
        return -1;
    if (join_session_keyring(err) < 0)
        return -1;
    if (rootfs_mount(c, err) < 0 || rootfs_pivot(c, err) < 0 || rootfs_protect(cfg, err) < 0)
        return -1;
    if (cfg->hostname != NULL && set_hostname(cfg->hostname, err) < 0)
        return -1;
    if (cfg->ns[NS_NET].create && cfg->ns[NS_NET].path == NULL && bring_up_loopback(err) < 0)
        return -1;
    if (cfg->process.terminal) {
        if (tty_open_in_container(&master, err) < 0 ||
            tty_set_size(master, &cfg->process, err) < 0 ||
            sync_send(c->child_sync_fd, SYNC_FD, master, err) < 0)
            return -1;
        close(master);
    }
    if (apply_process_limits(&cfg->process, err) < 0 || enter_workdir(cfg->process.cwd, err) < 0)
        return -1;
    return 0;
}

/*
 * The process itself: AppArmor profile, user, capabilities, no_new_privs,
 * fds, then the seccomp filter, after which nothing but execve(2) runs.
 */
static int become_process(const struct container *c, struct runt_err *err)
{
    const struct process_config *p = &c->cfg->process;
    const struct seccomp_profile *filter = c->cfg->seccomp;

    if (p->apparmor_profile != NULL && set_apparmor_profile(p->apparmor_profile, err) < 0)
        return -1;
    /*
     * Without no_new_privs, loading a filter takes CAP_SYS_ADMIN (seccomp(2)),
     * which become_user() may drop: then the filter comes first, and it must
     * allow what follows (capset, setresuid, prctl...), as runc does it.
     */
    if (filter != NULL && !p->no_new_privileges &&
        load_filter(filter, p->caps.bounding, c->cfg->bundle != NULL, err) < 0)
        return -1;
    if (become_user(p, c->cfg->kill_with_parent, c->child_sync_fd, err) < 0)
        return -1;
    if (p->no_new_privileges && set_no_new_privs(err) < 0)
        return -1;
    if (close_inherited_fds(c->child_sync_fd, err) < 0)
        return -1;
    if (filter != NULL && p->no_new_privileges)
        say("install seccomp filter: %s",
            c->cfg->bundle != NULL ? "config.json's" : "runt's default allowlist");
    prepare_exec(p);
    if (filter != NULL && p->no_new_privileges && load_seccomp(filter, p->caps.bounding, err) < 0)
        return -1;
    return 0;
}

noreturn void child_main(struct container *c)
{
    struct runt_err err;

    close(c->sync_fd);
    if (wait_for_runt(c, &err) < 0 || set_up_container(c, &err) < 0 ||
        sync_send(c->child_sync_fd, SYNC_READY, -1, &err) < 0 ||
        wait_for_start(c->fifo_fd, &err) < 0 || become_process(c, &err) < 0)
        sync_fail(c->child_sync_fd, &err, EXIT_RUNT_FAILED);
    exec_process(&c->cfg->process, c->child_sync_fd);
}
