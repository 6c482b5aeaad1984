/*
 * runt (final): the container's root filesystem.
 *
 * runt (the parent) creates the overlay's directories; the init, in its own
 * mount namespace, mounts the overlay (or uses an OCI bundle's root as it
 * is), mounts /proc, /sys, /dev and the volumes beneath it, pivots into it,
 * and then hides or freezes the kernel interfaces a container must not use.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

int join_path(char *out, const char *dir, const char *name, struct runt_err *err)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        return runt_fail(err, ENAMETOOLONG, "%s/%s", dir, name);
    return 0;
}

/* mkdir -p: create path and any missing parents. */
int make_dirs(const char *path, mode_t mode, struct runt_err *err)
{
    char buf[PATH_MAX];

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return runt_fail(err, ENAMETOOLONG, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;

        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return runt_fail(err, errno, "mkdir %s", buf);
        if (saved == '\0')
            return 0;
        *p = saved;
    }
}

/* overlayfs options are a comma-separated list, ':' separates lower dirs, '\' escapes. */
int refuse_overlay_separators(const char *what, const char *path, struct runt_err *err)
{
    if (strpbrk(path, ",:\\") != NULL)
        return runt_fail(err, 0, "%s %s: overlayfs cannot take a path with ',', ':' or '\\'", what,
                         path);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) < 0)
        runt_print("remove %s: %s", path, strerror(errno));
    return 0;
}

/* rm -rf, depth first, never following symlinks nor crossing into other mounts. */
int remove_tree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The container's directory (runt, before clone): <root>/containers/<id>/{upper,work,merged}. */
int rootfs_prepare_dirs(struct container *c, struct runt_err *err)
{
    const char *root = c->cfg->state_root;
    char containers[PATH_MAX];

    if (refuse_overlay_separators("--root", root, err) < 0 ||
        join_path(containers, root, "containers", err) < 0 ||
        make_dirs(containers, 0700, err) < 0 || join_path(c->dir, containers, c->id, err) < 0)
        return -1;
    say("create %s/{upper,work,merged}", c->dir);
    /* Not make_dirs: a directory that exists already is another container's. */
    if (mkdir(c->dir, 0700) < 0)
        return runt_fail(err, errno, "mkdir %s", c->dir);
    c->dir_created = true;
    if (join_path(c->upper, c->dir, "upper", err) < 0 ||
        join_path(c->work, c->dir, "work", err) < 0 ||
        join_path(c->merged, c->dir, "merged", err) < 0 ||
        join_path(c->lower, c->dir, "lower", err) < 0 ||
        join_path(c->fifo, c->dir, "exec.fifo", err) < 0)
        return -1;
    /* The upper dir's mode becomes the mode of the container's /. */
    if (c->cfg->image != NULL &&
        (mkdir(c->upper, 0755) < 0 || mkdir(c->work, 0700) < 0 || mkdir(c->merged, 0755) < 0))
        return runt_fail(err, errno, "mkdir in %s", c->dir);
    /* --userns: where the init attaches the idmapped image. */
    if (c->cfg->image != NULL && c->cfg->ns[NS_USER].create && mkdir(c->lower, 0755) < 0)
        return runt_fail(err, errno, "mkdir %s", c->lower);
    return 0;
}

/* After a failed overlay mount: name the likely cause, in one line. */
static const char *overlay_failure_hint(const struct container *c)
{
    struct statfs st;
    char line[256];
    bool listed = false;
    FILE *f = fopen("/proc/filesystems", "re");

    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL)
            if (strstr(line, "\toverlay\n") != NULL)
                listed = true;
        fclose(f);
    }
    if (!listed)
        return "this kernel has no overlay filesystem (try: modprobe overlay)";
    if (statfs(c->upper, &st) == 0 && st.f_type == OVERLAYFS_SUPER_MAGIC)
        return "the state root is itself on overlayfs, as inside another container "
               "(use --root on a tmpfs or a disk filesystem)";
    return "the image may be on a filesystem that cannot be an overlay lower layer "
           "(dmesg tells more)";
}

/*
 * --userns, in the init before it becomes the namespace's root: its uid is
 * still the host's 0, the owner of the state root's 700 directories, so it
 * can walk them now and not later. It opens the overlay's directories (in
 * its own mount namespace: overlayfs refuses layers on another namespace's
 * mounts) and attaches the idmapped image there with move_mount(2).
 */
int rootfs_open_layers(struct container *c, struct runt_err *err)
{
    const char *dirs[] = {c->upper, c->work, c->merged, c->lower};

    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        c->dir_fds[i] = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->dir_fds[i] < 0)
            return runt_fail(err, errno, "open %s", dirs[i]);
    }
    say("attach the idmapped image on %s", c->lower);
    if (move_mount(c->lower_fd, "", c->dir_fds[3], "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return runt_fail(err, errno, "attach the idmapped image on %s", c->lower);
    return 0;
}

/* --userns: the layers as /proc/self/fd paths, which the init could not walk to by name. */
static int mount_overlay_by_fds(const struct container *c, int *root_fd, struct runt_err *err)
{
    char lower[32], upper[32], work[32];
    int fs, mnt;

    snprintf(lower, sizeof(lower), "/proc/self/fd/%d", c->lower_fd);
    snprintf(upper, sizeof(upper), "/proc/self/fd/%d", c->dir_fds[0]);
    snprintf(work, sizeof(work), "/proc/self/fd/%d", c->dir_fds[1]);
    fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return runt_fail(err, errno, "fsopen overlay");
    if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
        /* trusted.* xattrs need host root: whiteouts go in user.* ones instead. */
        fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        runt_fail(err, errno, "mount overlay on %s", c->merged);
        close(fs);
        return -1;
    }
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    close(fs);
    if (mnt < 0)
        return runt_fail(err, errno, "fsmount overlay");
    if (move_mount(mnt, "", c->dir_fds[2], "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
        0) {
        close(mnt);
        return runt_fail(err, errno, "move the overlay onto %s", c->merged);
    }
    *root_fd = mnt; /* the overlay's root, now attached at merged */
    return 0;
}

/*
 * The overlay: reads fall through to the image (lowerdir) unless the
 * container wrote the file, writes go to upperdir. Mounted in the init's own
 * mount namespace, so the host never sees it.
 */
static int mount_overlay(const struct container *c, int *root_fd, struct runt_err *err)
{
    char opts[PATH_MAX * 3 + 64];

    say("mount overlay on %s (lowerdir=%s)", c->merged, c->rootfs);
    if (c->lower_fd >= 0)
        return mount_overlay_by_fds(c, root_fd, err);
    if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", c->rootfs, c->upper,
                 c->work) >= (int)sizeof(opts))
        return runt_fail(err, 0, "overlay options too long");
    if (mount("overlay", c->merged, "overlay", 0, opts) < 0) {
        int saved = errno;

        return runt_fail(err, 0, "mount overlay on %s: %s: %s", c->merged, strerror(saved),
                         overlay_failure_hint(c));
    }
    /* pivot_root(2) needs new_root to be a mount point: a bind of a bundle's root is one. */
    say("bind-mount %s onto itself", c->merged);
    if (mount(c->merged, c->merged, NULL, MS_BIND | MS_REC, NULL) < 0)
        return runt_fail(err, errno, "bind-mount %s", c->merged);
    *root_fd = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*root_fd < 0)
        return runt_fail(err, errno, "open %s", c->merged);
    return 0;
}

static int bind_root_as_is(const struct container *c, int *root_fd, struct runt_err *err)
{
    say("bind-mount %s onto itself", c->rootfs);
    if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return runt_fail(err, errno, "bind-mount %s", c->rootfs);
    *root_fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*root_fd < 0)
        return runt_fail(err, errno, "open %s", c->rootfs);
    return 0;
}

/*
 * Open path inside the root, refusing any that leaves it through ".." or a
 * symlink: openat2(2) with RESOLVE_BENEATH checks every step in the kernel,
 * so no symlink planted in the image can point a mount at the host.
 */
static int open_beneath(int root_fd, const char *path, int flags, struct runt_err *err)
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

/* The mount point `path` in the root, created (a directory, or a file for a file bind). */
static int open_mount_point(int root_fd, const char *path, bool file, struct runt_err *err)
{
    char buf[PATH_MAX];
    int fd = open_beneath(root_fd, path, O_PATH, err);

    if (fd >= 0 || err->errnum != ENOENT)
        return fd;
    snprintf(buf, sizeof(buf), "%s", path);
    /* Create each missing component, each time resolving its parent beneath the root. */
    for (char *p = buf + 1;; p++) {
        bool last = *p == '\0';
        char *slash;
        int parent;

        if (*p != '/' && !last)
            continue;
        *p = '\0';
        slash = strrchr(buf, '/');
        *slash = '\0';
        parent = open_beneath(root_fd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, err);
        *slash = '/';
        if (parent < 0)
            return -1;
        if (last && file)
            fd = openat(parent, slash + 1, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        else
            fd = mkdirat(parent, slash + 1, 0755);
        if (fd < 0 && errno != EEXIST) {
            runt_fail(err, errno, "create %s in the container", buf);
            close(parent);
            return -1;
        }
        if (fd > 0 && last && file)
            close(fd);
        close(parent);
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
           (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
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
    int tree = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);

    if (tree < 0)
        return runt_fail(err, errno, "bind %s", m->source);
    if (mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0 ||
        move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
        runt_fail(err, errno, "bind-mount %s on %s", m->source, m->destination);
        close(tree);
        return -1;
    }
    close(tree);
    return 0;
}

/*
 * /dev's nodes. Without a user namespace, mknod(2) makes our own: not bind
 * mounts of the host's, whose inode a chmod inside would change. In a user
 * namespace mknod is refused, so they are binds of the host's nodes, which is
 * safe only because the container's root is nobody on the host.
 */
static int populate_dev(int root_fd, bool userns, struct runt_err *err)
{
    static const struct {
        const char *name;
        unsigned int major, minor;
    } nodes[] = {
        {"null",    1, 3},
        {"zero",    1, 5},
        {"full",    1, 7},
        {"random",  1, 8},
        {"urandom", 1, 9},
        {"tty",     5, 0},
    };
    static const char *const links[][2] = {
        {"/proc/self/fd",   "fd"    },
        {"/proc/self/fd/0", "stdin" },
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx",        "ptmx"  },
    };
    int dev = open_beneath(root_fd, "/dev", O_PATH | O_DIRECTORY, err);

    if (dev < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
        const char *name = nodes[i].name;
        char host[32], where[32];

        if (!userns) {
            /* fchmodat: mknod(2) applies the umask; these nodes are meant for everyone. */
            if (mknodat(dev, name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
                fchmodat(dev, name, 0666, 0) < 0)
                goto fail;
            continue;
        }
        int fd = openat(dev, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
        struct mount_spec m = {.source = host, .destination = where, .flags = MS_BIND};

        snprintf(host, sizeof(host), "/dev/%s", name);
        snprintf(where, sizeof(where), "/dev/%s", name);
        if (fd < 0)
            goto fail;
        close(fd);
        fd = open_beneath(root_fd, where, O_PATH, err);
        if (fd < 0 || bind_mount(&m, fd, err) < 0) {
            if (fd >= 0)
                close(fd);
            close(dev);
            return -1;
        }
        close(fd);
    }
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        if (symlinkat(links[i][0], dev, links[i][1]) < 0)
            goto fail;
    close(dev);
    return 0;
fail:
    runt_fail(err, errno, "populate /dev");
    close(dev);
    return -1;
}

static int mount_one(int root_fd, const struct mount_spec *m, bool userns, struct runt_err *err)
{
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

/*
 * In the init, before pivot_root: make every mount private (with shared
 * propagation, systemd's default, they would reach the host), mount the root,
 * then everything the config lists beneath it, in order.
 */
int rootfs_mount(const struct container *c, struct runt_err *err)
{
    bool userns = c->cfg->ns[NS_USER].create;
    int root_fd = -1, rc = 0;

    say("make / private (MS_REC|MS_PRIVATE)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return runt_fail(err, errno, "make / private");
    if ((c->cfg->image != NULL ? mount_overlay(c, &root_fd, err)
                               : bind_root_as_is(c, &root_fd, err)) < 0)
        return -1;
    for (size_t i = 0; i < c->cfg->n_mounts && rc == 0; i++)
        rc = mount_one(root_fd, &c->cfg->mounts[i], userns, err);
    if (rc == 0 && fchdir(root_fd) < 0)
        rc = runt_fail(err, errno, "chdir into the new root");
    close(root_fd);
    return rc;
}

/*
 * Make the current directory (the new root) our / and forget the host's
 * tree. pivot_root(2) moves the old root to put_old; unlike chroot(2), it
 * changes what / is for the whole mount namespace. Then the old root is
 * unmounted: nothing of the host is left to walk back up to.
 */
int rootfs_pivot(const struct container *c, struct runt_err *err)
{
    /* A unique name, so that two containers of one rootfs never share it. */
    char old_root[] = ".oldroot-XXXXXX";

    if (mkdtemp(old_root) == NULL)
        return runt_fail(err, errno, "mkdtemp %s", old_root);
    say("pivot_root into %s", c->cfg->image != NULL ? c->merged : c->rootfs);
    /* glibc has no wrapper for pivot_root(2). */
    if (syscall(SYS_pivot_root, ".", old_root) < 0)
        return runt_fail(err, errno, "pivot_root");
    if (chdir("/") < 0)
        return runt_fail(err, errno, "chdir /");
    /* MNT_DETACH unmounts it even while busy (our own cwd was in it a moment ago). */
    say("unmount the old root");
    if (umount2(old_root, MNT_DETACH) < 0)
        return runt_fail(err, errno, "unmount the old root");
    if (rmdir(old_root) < 0)
        return runt_fail(err, errno, "rmdir %s", old_root);
    return 0;
}

/* Hide a path: /dev/null over a file, an empty read-only tmpfs over a directory. */
static int mask_path(const char *path, struct runt_err *err)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : runt_fail(err, errno, "stat %s", path);
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") <
            0)
            return runt_fail(err, errno, "mask %s", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        return runt_fail(err, errno, "mask %s", path);
    }
    return 0;
}

/* Bind a path onto itself, then make that bind read-only, keeping its other flags. */
static int make_readonly(const char *path, struct runt_err *err)
{
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
    struct statvfs sv;

    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : runt_fail(err, errno, "bind %s", path);
    /* A remount replaces the mount's flags: keep the nosuid, nodev, noexec it had. */
    if (statvfs(path, &sv) < 0)
        return runt_fail(err, errno, "statvfs %s", path);
    flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
             (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    if (mount(NULL, path, NULL, flags, NULL) < 0)
        return runt_fail(err, errno, "make %s read-only", path);
    return 0;
}

/* net.ipv4.ip_forward=1 is /proc/sys/net/ipv4/ip_forward. */
static int write_sysctl(const struct sysctl_spec *s, struct runt_err *err)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "/proc/sys/%s", s->key);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
    say("sysctl %s = %s", s->key, s->value);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, s->value, strlen(s->value)) < 0) {
        runt_fail(err, errno, "sysctl %s", s->key);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/*
 * After pivot_root: sysctls, then the masked and read-only paths. Then the
 * device nodes CAP_MKNOD still allows are made useless: / nodev (where a
 * node would still be opened) and /dev read-only (so none joins ours).
 */
int rootfs_protect(const struct config *cfg, struct runt_err *err)
{
    unsigned long root_flags = MS_REMOUNT | MS_BIND | MS_NODEV;

    for (size_t i = 0; i < cfg->n_sysctl; i++)
        if (write_sysctl(&cfg->sysctl[i], err) < 0)
            return -1;
    say("mask /proc/kcore, /proc/keys, /sys/firmware ...; /proc/sys, /proc/sysrq-trigger ... "
        "read-only");
    for (size_t i = 0; i < cfg->n_masked; i++)
        if (mask_path(cfg->masked_paths[i], err) < 0)
            return -1;
    for (size_t i = 0; i < cfg->n_readonly; i++)
        if (make_readonly(cfg->readonly_paths[i], err) < 0)
            return -1;
    say("remount / nodev%s and /dev read-only", cfg->root_readonly ? ", read-only," : "");
    if (cfg->root_readonly)
        root_flags |= MS_RDONLY;
    if (mount(NULL, "/", NULL, root_flags, NULL) < 0)
        return runt_fail(err, errno, "remount /");
    /* A remount replaces the mount's flags: keep /dev's nosuid and noexec. */
    if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) <
        0)
        return runt_fail(err, errno, "remount /dev read-only");
    return 0;
}
