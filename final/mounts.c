/*
 * runt (final): the mounts beneath the container's root, in the init before
 * pivot_root: /proc, /sys, /dev and its nodes, devpts, shm, and the volumes.
 *
 * Every mount point is opened beneath the root with openat2(2) and mounted
 * on through its fd, so no path is looked up twice and no symlink in the
 * image can send a mount out of the root.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/*
 * Open path inside the root, refusing any that leaves it through ".." or a
 * symlink: openat2(2) with RESOLVE_BENEATH checks every step in the kernel,
 * so no symlink planted in the image can point a mount at the host.
 */
int open_beneath(int root_fd, const char *path, int flags, struct runt_err *err)
{
    struct open_how how = {.flags = (uint64_t)(unsigned int)(flags | O_CLOEXEC),
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    const char *rel = path + strspn(path, "/");
    int fd = (int)syscall(SYS_openat2, root_fd, *rel ? rel : ".", &how, sizeof(how));

    if (fd < 0 && errno == EXDEV)
        return runt_fail(err, 0, "%s escapes the container's root (through '..' or a symlink)",
                         path);
    if (fd < 0)
        return runt_fail(err, errno, "open %s in the container", path);
    return fd;
}

/* Create path (a directory, or an empty file), its parent opened beneath the root. */
static int create_beneath(int root_fd, const char *path, bool file, struct runt_err *err)
{
    const char *name = strrchr(path, '/') + 1;
    char parent_path[PATH_MAX];
    int parent, rc;

    snprintf(parent_path, sizeof(parent_path), "%.*s", (int)(name - path), path);
    parent = open_beneath(root_fd, parent_path, O_PATH | O_DIRECTORY, err);
    if (parent < 0)
        return -1;
    if (file) {
        rc = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0)
            rc = close(rc);
    } else {
        rc = mkdirat(parent, name, 0755);
    }
    rc = rc < 0 && errno != EEXIST ? runt_fail(err, errno, "create %s in the container", path) : 0;
    close(parent);
    return rc;
}

/* The mount point `path` in the root; missing components are created (mkdir -p). */
static int open_mount_point(int root_fd, const char *path, bool file, struct runt_err *err)
{
    char buf[PATH_MAX];
    int fd = open_beneath(root_fd, path, O_PATH, err);

    if (fd >= 0 || err->errnum != ENOENT)
        return fd;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        bool last = *p == '\0';

        if (*p != '/' && !last)
            continue;
        *p = '\0';
        if (create_beneath(root_fd, buf, last && file, err) < 0)
            return -1;
        if (last)
            return open_beneath(root_fd, path, O_PATH, err);
        *p = '/';
    }
}

/* MS_* of a bind mount as the MOUNT_ATTR_* that mount_setattr(2) takes. */
static uint64_t mount_attrs(unsigned long flags)
{
    return (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
           (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) | (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
           (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
           (flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0) |
           /* MS_RELATIME needs nothing: MOUNT_ATTR_RELATIME is 0, the default. */
           (flags & MS_NOATIME       ? MOUNT_ATTR_NOATIME
            : flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
                                     : 0);
}

/*
 * Give the detached tree (a copy from open_tree(2)) its attributes, all of it
 * with AT_RECURSIVE, then attach it on the directory `target`. Closes `tree`.
 */
int attach_tree(int tree, unsigned int at_flags, struct mount_attr *attr, int target,
                struct runt_err *err)
{
    int rc = 0;

    if (mount_setattr(tree, "", AT_EMPTY_PATH | at_flags, attr, sizeof(*attr)) < 0)
        rc = runt_fail(err, errno, "mount_setattr");
    else if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
             0)
        rc = runt_fail(err, errno, "move_mount");
    close(tree);
    return rc;
}

/*
 * A bind mount with the new mount API: open_tree(2) copies the source's
 * tree, mount_setattr(2) makes all of it (recursively) nosuid, read-only...,
 * and move_mount(2) puts it on the mount point's fd: no path is looked up
 * twice, so nothing can be swapped in between.
 */
static int bind_mount(const struct mount_spec *m, int target, struct runt_err *err)
{
    unsigned int rec = m->flags & MS_REC ? AT_RECURSIVE : 0;
    struct mount_attr attr = {.attr_set = mount_attrs(m->flags)};

    /* One atime mode replaces the other (mount_setattr(2)): clear the old one. */
    if (m->flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
        attr.attr_clr = MOUNT_ATTR__ATIME;
    int tree = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);

    if (tree < 0)
        return runt_fail(err, errno, "bind %s", m->source);
    if (attach_tree(tree, rec, &attr, target, err) < 0) {
        runt_err_prefix(err, "bind-mount %s on %s", m->source, m->destination);
        return -1;
    }
    return 0;
}

/* Without a user namespace: our own node, made with mknod(2). */
static int make_node(int dev, const char *name, dev_t rdev, struct runt_err *err)
{
    /* fchmodat: mknod(2) applies the umask; these nodes are meant for everyone. */
    if (mknodat(dev, name, S_IFCHR | 0666, rdev) < 0)
        return runt_fail(err, errno, "mknod /dev/%s", name);
    if (fchmodat(dev, name, 0666, 0) < 0)
        return runt_fail(err, errno, "chmod /dev/%s", name);
    return 0;
}

/* In a user namespace, where mknod(2) is refused: the host's node, bound onto an empty file. */
static int bind_host_node(int root_fd, const char *name, struct runt_err *err)
{
    char path[32];
    struct mount_spec m = {.source = path, .destination = path, .flags = MS_BIND};
    int fd, rc;

    snprintf(path, sizeof(path), "/dev/%s", name);
    fd = open_mount_point(root_fd, path, true, err);
    if (fd < 0)
        return -1;
    rc = bind_mount(&m, fd, err);
    close(fd);
    return rc;
}

/*
 * /dev's nodes. Without a user namespace, mknod(2) makes our own: not bind
 * mounts of the host's, whose inode a chmod inside would change. In a user
 * namespace they must be binds of the host's nodes, which is safe only
 * because the container's root is nobody on the host and cannot chmod them.
 */
static int populate_dev(int root_fd, bool userns, struct runt_err *err)
{
    static const char *const links[][2] = {
        {"/proc/self/fd",   "fd"    },
        {"/proc/self/fd/0", "stdin" },
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx",        "ptmx"  },
    };
    int dev = open_beneath(root_fd, "/dev", O_PATH | O_DIRECTORY, err), rc = 0;

    if (dev < 0)
        return -1;
    for (size_t i = 0; i < N_DEV_NODES && rc == 0; i++)
        rc = userns ? bind_host_node(root_fd, dev_nodes[i].name, err)
                    : make_node(dev, dev_nodes[i].name,
                                makedev(dev_nodes[i].major, dev_nodes[i].minor), err);
    for (size_t i = 0; i < ARRAY_SIZE(links) && rc == 0; i++)
        if (symlinkat(links[i][0], dev, links[i][1]) < 0)
            rc = runt_fail(err, errno, "symlink /dev/%s", links[i][1]);
    close(dev);
    return rc;
}

int mount_one(int root_fd, const struct mount_spec *m, const struct container *c,
              struct runt_err *err)
{
    bool userns = c->cfg->ns[NS_USER].create;
    bool is_bind = m->flags & MS_BIND;
    bool is_dev = !is_bind && strcmp(m->destination, "/dev") == 0;
    struct stat st;
    char target[32];
    int fd, rc;

    if (is_bind && stat(m->source, &st) < 0)
        return runt_fail(err, errno, "bind-mount %s", m->source);
    fd = open_mount_point(root_fd, m->destination, is_bind && !S_ISDIR(st.st_mode), err);
    if (fd < 0)
        return -1;
    if (is_bind) {
        say("bind-mount %s on %s%s", m->source, m->destination,
            m->flags & MS_RDONLY ? " (read-only)" : "");
        rc = bind_mount(m, fd, err);
    } else if (strcmp(m->type, "cgroup") == 0) {
        rc = mount_cgroupfs(root_fd, fd, m, &c->cgroups, c->cfg->ns[NS_CGROUP].create, err);
    } else {
        if (is_dev)
            say("mount %s on /dev, %s null zero full random urandom tty", m->type,
                userns ? "bind the host's" : "mknod");
        else
            say("mount %s on %s%s", m->type, m->destination,
                m->flags & MS_RDONLY ? " (read-only)" : "");
        /* The classic mount(2) takes the fd's path: /proc/self/fd/N is that very directory. */
        snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
        rc = mount(m->source, target, m->type, m->flags, m->data);
        if (rc < 0)
            runt_fail(err, errno, "mount %s on %s", m->type, m->destination);
    }
    close(fd);
    if (rc == 0 && is_dev)
        rc = populate_dev(root_fd, userns, err);
    return rc;
}
