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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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
    if (mkdir(c->dir, 0700) < 0) {
        if (errno == EEXIST)
            return runt_fail(err, 0, "container %s already exists in %s", c->id, root);
        return runt_fail(err, errno, "mkdir %s", c->dir);
    }
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
    if (c->lower_fd < 0) { /* runt made a copy there instead */
        c->lower_fd = c->dir_fds[3];
        return 0;
    }
    say("attach the idmapped image on %s", c->lower);
    if (move_mount(c->lower_fd, "", c->dir_fds[3], "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return runt_fail(err, errno, "attach the idmapped image on %s", c->lower);
    return 0;
}

/* One fsconfig(2) option of the overlay: a string, or a flag when value is NULL. */
static int overlay_option(int fs, const char *key, const char *value, struct runt_err *err)
{
    if (fsconfig(fs, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, key, value, 0) < 0)
        return runt_fail(err, errno, "overlay option %s", key);
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
    if (overlay_option(fs, "lowerdir", lower, err) < 0 ||
        overlay_option(fs, "upperdir", upper, err) < 0 ||
        overlay_option(fs, "workdir", work, err) < 0 ||
        /* trusted.* xattrs need host root: whiteouts go in user.* ones instead. */
        overlay_option(fs, "userxattr", NULL, err) < 0) {
        close(fs);
        return -1;
    }
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        runt_fail(err, errno, "mount overlay on %s", c->merged);
        close(fs);
        return -1;
    }
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    if (mnt < 0)
        runt_fail(err, errno, "fsmount overlay");
    close(fs);
    if (mnt < 0)
        return -1;
    if (move_mount(mnt, "", c->dir_fds[2], "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
        0) {
        runt_fail(err, errno, "move the overlay onto %s", c->merged);
        close(mnt);
        return -1;
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
 * In the init, before pivot_root: make every mount private (with shared
 * propagation, systemd's default, they would reach the host), mount the root,
 * then everything the config lists beneath it, in order.
 */
int rootfs_mount(const struct container *c, struct runt_err *err)
{
    int root_fd = -1, rc = 0;

    say("make / %s (MS_REC|MS_%s)", c->cfg->root_propagation & MS_SLAVE ? "a slave" : "private",
        c->cfg->root_propagation & MS_SLAVE ? "SLAVE" : "PRIVATE");
    if (mount(NULL, "/", NULL, c->cfg->root_propagation, NULL) < 0)
        return runt_fail(err, errno, "make / private");
    if ((c->cfg->image != NULL ? mount_overlay(c, &root_fd, err)
                               : bind_root_as_is(c, &root_fd, err)) < 0)
        return -1;
    for (size_t i = 0; i < c->cfg->n_mounts && rc == 0; i++)
        rc = mount_one(root_fd, &c->cfg->mounts[i], c, err);
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

/* A remount replaces the mount's flags: keep the root's nosuid, nodev, noexec. */
static int remount_root(unsigned long flags, struct runt_err *err)
{
    struct statvfs sv;

    if (statvfs("/", &sv) < 0)
        return runt_fail(err, errno, "statvfs /");
    flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
             (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    if (mount(NULL, "/", NULL, flags, NULL) < 0)
        return runt_fail(err, errno, "remount /");
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
    /* An OCI config says for itself what is read-only; runt run adds its own policy. */
    if (!cfg->lock_dev) {
        if (cfg->root_readonly && remount_root(MS_REMOUNT | MS_BIND | MS_RDONLY, err) < 0)
            return -1;
        return 0;
    }
    say("remount / nodev%s and /dev read-only", cfg->root_readonly ? ", read-only," : "");
    if (cfg->root_readonly)
        root_flags |= MS_RDONLY;
    if (remount_root(root_flags, err) < 0)
        return -1;
    /* A remount replaces the mount's flags: keep /dev's nosuid and noexec. */
    if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) <
        0)
        return runt_fail(err, errno, "remount /dev read-only");
    return 0;
}
