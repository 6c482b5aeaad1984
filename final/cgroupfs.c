/*
 * runt (final): a mount of type "cgroup" (podman asks for one on
 * /sys/fs/cgroup): the container's own cgroups, read-only, never the
 * host's whole tree.
 *
 * In a cgroup namespace of its own, a fresh mount of a cgroup filesystem
 * shows the namespace's root, which is the container's cgroup
 * (cgroup_namespaces(7)). Without one it would show the host's root, so
 * runt bind-mounts the container's cgroup directory instead, found in
 * /proc/self/cgroup. On cgroup v1 there is one hierarchy per controller
 * under a tmpfs: the same is done for each of them.
 */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* One cgroup hierarchy of the host, as /proc/self/mountinfo shows it. */
struct hierarchy {
    char mount_point[PATH_MAX]; /* /sys/fs/cgroup/memory */
    char type[16];              /* cgroup or cgroup2 */
    char options[256];          /* its super options: "rw,memory", "rw,xattr,name=systemd" */
};

/* Is every controller of `controllers` ("cpu,cpuacct", "name=systemd") in `options`? */
static bool has_controllers(const char *options, const char *controllers)
{
    char list[256];
    char *save = NULL;

    snprintf(list, sizeof(list), "%s", controllers);
    for (char *c = strtok_r(list, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(c);
        const char *p = options;

        while ((p = strstr(p, c)) != NULL &&
               !((p == options || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')))
            p += len;
        if (p == NULL)
            return false;
    }
    return true;
}

/* The init's cgroup in hierarchy h, from /proc/self/cgroup ("4:memory:/runt/x"). */
static int own_cgroup(const struct hierarchy *h, char *out, size_t size, struct runt_err *err)
{
    char line[PATH_MAX + 128];
    FILE *f = fopen("/proc/self/cgroup", "re");
    bool found = false;

    if (f == NULL)
        return runt_fail(err, errno, "open /proc/self/cgroup");
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *controllers = strchr(line, ':'), *path;

        if (controllers == NULL || (path = strchr(++controllers, ':')) == NULL)
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        if (controllers[0] == '\0' ? strcmp(h->type, "cgroup2") == 0
                                   : has_controllers(h->options, controllers)) {
            snprintf(out, size, "%s%s", h->mount_point, path);
            found = true;
        }
    }
    fclose(f);
    if (!found)
        return runt_fail(err, 0, "cgroup mount: no cgroup of ours under %s", h->mount_point);
    return 0;
}

/* Bind `source` read-only (and nosuid...) onto the directory `target` (an O_PATH fd). */
static int bind_cgroup(const char *source, int target, unsigned long flags, struct runt_err *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                          MOUNT_ATTR_NOEXEC};
    int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

    if (!(flags & MS_RDONLY))
        attr.attr_set &= ~(uint64_t)MOUNT_ATTR_RDONLY;
    if (tree < 0)
        return runt_fail(err, errno, "cgroup mount: bind %s", source);
    if (attach_tree(tree, 0, &attr, target, err) < 0) {
        runt_err_prefix(err, "cgroup mount: bind %s", source);
        return -1;
    }
    return 0;
}

/* One hierarchy on `target`: fresh in a cgroup namespace, else our own directory, bound. */
static int mount_hierarchy(const struct hierarchy *h, int target, unsigned long flags,
                           bool cgroupns, struct runt_err *err)
{
    char path[32], own[PATH_MAX + 16], data[256] = "";
    char *save = NULL, options[256];

    if (!cgroupns)
        return own_cgroup(h, own, sizeof(own), err) < 0 ? -1 : bind_cgroup(own, target, flags, err);
    /* The hierarchy's controllers, without rw/ro and the host's release agent. */
    snprintf(options, sizeof(options), "%s", h->options);
    for (char *o = strtok_r(options, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
        if (strcmp(o, "rw") != 0 && strcmp(o, "ro") != 0 && strncmp(o, "release_agent=", 14) != 0)
            snprintf(data + strlen(data), sizeof(data) - strlen(data), "%s%s", data[0] ? "," : "",
                     o);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
    if (mount(h->type, path, h->type, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0)
        return runt_fail(err, errno, "cgroup mount: mount %s (%s)", h->type, data);
    return 0;
}

/* The host's hierarchies under /sys/fs/cgroup; *n of them, at most max. */
static int host_hierarchies(struct hierarchy *list, size_t max, size_t *n, struct runt_err *err)
{
    char line[PATH_MAX * 2];
    FILE *f = fopen("/proc/self/mountinfo", "re");

    if (f == NULL)
        return runt_fail(err, errno, "open /proc/self/mountinfo");
    *n = 0;
    while (*n < max && fgets(line, sizeof(line), f) != NULL) {
        struct hierarchy *h = &list[*n];
        const char *dash = strstr(line, " - ");

        /* "... mount_point options [optional fields] - type source super_options" */
        if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", h->mount_point) != 1 ||
            sscanf(dash, " - %15s %*s %255s", h->type, h->options) != 2)
            continue;
        if (strncmp(h->mount_point, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) == 0 &&
            (strcmp(h->type, "cgroup") == 0 || strcmp(h->type, "cgroup2") == 0))
            (*n)++;
    }
    fclose(f);
    return 0;
}

/* Each hierarchy in a directory of the new tmpfs, and the host's symlinks (cpu -> cpu,cpuacct). */
static int fill_v1(int tmpfs, unsigned long flags, bool cgroupns, struct runt_err *err)
{
    struct hierarchy list[16];
    size_t n = 0;
    DIR *d;
    struct dirent *e;

    if (host_hierarchies(list, ARRAY_SIZE(list), &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = list[i].mount_point + strlen(CGROUP_ROOT) + 1;
        int dir, rc;

        if (mkdirat(tmpfs, name, 0755) < 0)
            return runt_fail(err, errno, "cgroup mount: mkdir %s", name);
        dir = openat(tmpfs, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
            return runt_fail(err, errno, "cgroup mount: open %s", name);
        rc = mount_hierarchy(&list[i], dir, flags, cgroupns, err);
        close(dir);
        if (rc < 0)
            return -1;
    }
    d = opendir(CGROUP_ROOT);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char target[PATH_MAX];
        ssize_t len;

        if (e->d_type != DT_LNK ||
            (len = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1)) < 0)
            continue;
        target[len] = '\0';
        if (symlinkat(target, tmpfs, e->d_name) < 0 && errno != EEXIST)
            say("cgroup mount: symlink %s: %s", e->d_name, strerror(errno));
    }
    if (d != NULL)
        closedir(d);
    return 0;
}

/* The mount itself, on `target`, the mount point's fd beneath the root `root_fd`. */
int mount_cgroupfs(int root_fd, int target, const struct mount_spec *m, const struct cgroups *cg,
                   bool cgroupns, struct runt_err *err)
{
    struct hierarchy unified = {.mount_point = CGROUP_ROOT, .type = "cgroup2"};
    char path[32];
    int tmpfs, rc;

    say("mount the container's cgroups on %s%s", m->destination,
        cgroupns ? " (its cgroup namespace's view)" : " (binds of its own cgroups)");
    if (cg->unified)
        return mount_hierarchy(&unified, target, m->flags, cgroupns, err);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
    if (mount("tmpfs", path, "tmpfs",
              (m->flags & ~(unsigned long)MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=755") < 0)
        return runt_fail(err, errno, "cgroup mount: tmpfs on %s", m->destination);
    /* Opened again, the mount point is the tmpfs now on it. */
    tmpfs = open_beneath(root_fd, m->destination, O_PATH | O_DIRECTORY, err);
    if (tmpfs < 0)
        return -1;
    rc = fill_v1(tmpfs, m->flags, cgroupns, err);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", tmpfs);
    if (rc == 0 && (m->flags & MS_RDONLY) &&
        mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
            0)
        rc = runt_fail(err, errno, "cgroup mount: make %s read-only", m->destination);
    close(tmpfs);
    return rc;
}
