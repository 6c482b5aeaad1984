/*
 * runt (final): --userns, a user namespace whose root is nobody on the host.
 *
 * user_namespaces(7): uid_map and gid_map say which host ids the namespace's
 * ids are. runt maps container root to 100000 (and the 65535 ids after it),
 * so a process that breaks out of every other wall is still an unprivileged
 * user on the host. The image's files belong to host root, which is not
 * mapped: an idmapped mount of the image (mount_setattr(2), MOUNT_ATTR_IDMAP)
 * shows them as the container's root instead, without changing one inode.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

uid_t host_uid_of_root(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_uid_map; i++)
        if (cfg->uid_map[i].inside == 0)
            return (uid_t)cfg->uid_map[i].outside;
    return 0;
}

/* lesson final: write_map; make exercise-final blanks its body */
static int write_map(pid_t pid, const char *file, const struct id_map *map, size_t n,
                     struct runt_err *err)
{
    char path[64], text[RUNT_MAX_IDMAPS * 40] = "";
    size_t len = 0;
    int fd;

    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%u %u %u\n", map[i].inside,
                                map[i].outside, map[i].count);
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    say("%s = %.*s", path, (int)strcspn(text, "\n"), text);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return runt_fail(err, errno, "open %s", path);
    /* The kernel takes the whole map in one write(2), once. */
    if (write(fd, text, len) != (ssize_t)len) {
        runt_fail(err, errno, "write %s", path);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}
/* end of lesson final: write_map */

static bool id_is_mapped(unsigned int id, const struct id_map *map, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (id >= map[i].outside && id - map[i].outside < map[i].count)
            return true;
    return false;
}

/*
 * In a user namespace /dev's nodes are binds of the host's: the same inodes.
 * That is safe while their owners are not mapped into the namespace, so the
 * container's root cannot chmod or chown them. One that something else
 * chowned to the container's range (seen here: host /dev/null owned by
 * 100000) would let the container change the host's node: refused.
 */
int refuse_mapped_host_nodes(const struct config *cfg, struct runt_err *err)
{
    for (size_t i = 0; i < N_DEV_NODES; i++) {
        char path[32];
        struct stat st;

        snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i].name);
        if (stat(path, &st) < 0)
            return runt_fail(err, errno, "--userns: %s", path);
        if (id_is_mapped(st.st_uid, cfg->uid_map, cfg->n_uid_map) ||
            id_is_mapped(st.st_gid, cfg->gid_map, cfg->n_gid_map))
            return runt_fail(err, 0,
                             "--userns: the host's %s belongs to %u:%u, which the container "
                             "maps: it could change it (chown it back to root)",
                             path, (unsigned)st.st_uid, (unsigned)st.st_gid);
    }
    return 0;
}

/* runt (host root) writes the init's maps; only then does the init become its root. */
int write_id_maps(pid_t pid, const struct config *cfg, struct runt_err *err)
{
    if (write_map(pid, "uid_map", cfg->uid_map, cfg->n_uid_map, err) < 0)
        return -1;
    return write_map(pid, "gid_map", cfg->gid_map, cfg->n_gid_map, err);
}

/*
 * A copy of the image's mount (open_tree(2), OPEN_TREE_CLONE) that is
 * idmapped with the init's user namespace: host uid 0 shows as 100000, which
 * is root inside. Made by runt, which has CAP_SYS_ADMIN on the host; the fd
 * goes to the init over the sync socket and becomes the overlay's lower layer.
 */
int idmapped_image(const char *image, pid_t pid, int *fd_out, struct runt_err *err)
{
    char path[64];
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
    int userns, tree;

    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    userns = open(path, O_RDONLY | O_CLOEXEC);
    if (userns < 0)
        return runt_fail(err, errno, "open %s", path);
    say("idmapped mount of %s (mount_setattr MOUNT_ATTR_IDMAP)", image);
    tree = open_tree(AT_FDCWD, image, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) {
        runt_fail(err, errno, "open_tree %s", image);
        close(userns);
        return -1;
    }
    attr.userns_fd = (uint64_t)(unsigned int)userns;
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
        runt_fail(err, errno, "idmap %s", image);
        close(tree);
        close(userns);
        return -1;
    }
    close(userns);
    *fd_out = tree;
    return 0;
}

/* A host id as the container sees it, shifted into the container's range by its map. */
static unsigned int shift_id(unsigned int id, const struct id_map *map, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (id >= map[i].inside && id - map[i].inside < map[i].count)
            return map[i].outside + (id - map[i].inside);
    return map[0].outside + 65534; /* unmapped: nobody, as the kernel shows it */
}

/* nftw(3) passes no argument to its callback: the copy in progress, for copy_entry(). */
static struct {
    const struct config *cfg;
    size_t src_len;
    const char *dst;
    struct runt_err *err;
} copying;

static int copy_file(const char *from, const char *to, mode_t mode, struct runt_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    char buf[65536];
    ssize_t n;

    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    if (in < 0 || out < 0 || n != 0)
        rc = runt_fail(err, errno, "copy %s", from);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

static int copy_link(const char *from, const char *to)
{
    char target[PATH_MAX];
    ssize_t n = readlink(from, target, sizeof(target) - 1);

    if (n < 0)
        return -1;
    target[n] = '\0';
    return symlink(target, to);
}

/* One entry of the image, copied to the same place under copying.dst, owners shifted. */
static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const struct config *cfg = copying.cfg;
    uid_t uid = shift_id(st->st_uid, cfg->uid_map, cfg->n_uid_map);
    gid_t gid = shift_id(st->st_gid, cfg->gid_map, cfg->n_gid_map);
    char to[PATH_MAX];
    int rc = 0;

    (void)type;
    (void)ftw;
    if (snprintf(to, sizeof(to), "%s%s", copying.dst, path + copying.src_len) >= (int)sizeof(to))
        return runt_fail(copying.err, ENAMETOOLONG, "copy %s", path);
    if (S_ISDIR(st->st_mode))
        rc = mkdir(to, 0700) < 0 && errno != EEXIST ? -1 : 0;
    else if (S_ISREG(st->st_mode) && copy_file(path, to, st->st_mode & 0777, copying.err) < 0)
        return -1;
    else if (S_ISLNK(st->st_mode))
        rc = copy_link(path, to);
    else if (!S_ISREG(st->st_mode))
        rc = mknod(to, st->st_mode, st->st_rdev);
    /* chown first: it clears the setuid and setgid bits, which chmod then sets again. */
    if (rc < 0 || lchown(to, uid, gid) < 0 ||
        (!S_ISLNK(st->st_mode) && chmod(to, st->st_mode & 07777) < 0))
        return runt_fail(copying.err, errno, "copy %s to %s", path, to);
    return 0;
}

/*
 * The fallback where the image's filesystem cannot be idmapped (tmpfs
 * before Linux 6.3, ramfs, 9p...): a copy of the image, at dst, whose owners
 * are shifted into the container's range. It costs time and disk for every
 * container, in proportion to the image; the idmapped mount costs neither.
 */
int copy_image_shifted(const char *image, const char *dst, const struct config *cfg,
                       struct runt_err *err)
{
    say("copy %s to %s, owners shifted (its filesystem cannot be idmapped)", image, dst);
    copying.cfg = cfg;
    copying.src_len = strlen(image);
    copying.dst = dst;
    copying.err = err;
    err->msg[0] = '\0';
    /* Parents before children (no FTW_DEPTH), symlinks as links, one filesystem. */
    if (nftw(image, copy_entry, 16, FTW_PHYS | FTW_MOUNT) != 0)
        return err->msg[0] != '\0' ? -1 : runt_fail(err, errno, "copy %s", image);
    return 0;
}

/* In the new user namespace, once the maps are written: become its root, drop host groups. */
int become_userns_root(struct runt_err *err)
{
    say("become root of the user namespace");
    if (setgroups(0, NULL) < 0)
        return runt_fail(err, errno, "setgroups");
    if (setresgid(0, 0, 0) < 0)
        return runt_fail(err, errno, "setgid 0 in the user namespace");
    if (setresuid(0, 0, 0) < 0)
        return runt_fail(err, errno, "setuid 0 in the user namespace");
    return 0;
}
