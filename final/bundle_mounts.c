/*
 * runt (final): config.json's mounts. Each becomes a struct mount_spec,
 * which mounts.c makes beneath the container's root, in order.
 *
 * A mount's options are flags of mount(2) ("nosuid", "ro"...) or, for a
 * filesystem, its own options ("mode=755", "size=65536k"), passed on as
 * mount(2)'s data: the kernel refuses those it does not know. A bind mount
 * takes no data, so there an unknown option is refused here.
 */
#include "oci.h"

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static const struct {
    const char *name;
    unsigned long set, clear;
    bool for_bind; /* a flag of the mount, which a bind mount can have */
} mount_flags[] = {
    {"ro",            MS_RDONLY,        0,              true },
    {"rw",            0,                MS_RDONLY,      true },
    {"nosuid",        MS_NOSUID,        0,              true },
    {"suid",          0,                MS_NOSUID,      true },
    {"nodev",         MS_NODEV,         0,              true },
    {"dev",           0,                MS_NODEV,       true },
    {"noexec",        MS_NOEXEC,        0,              true },
    {"exec",          0,                MS_NOEXEC,      true },
    {"noatime",       MS_NOATIME,       0,              true },
    {"atime",         0,                MS_NOATIME,     true },
    {"nodiratime",    MS_NODIRATIME,    0,              true },
    {"diratime",      0,                MS_NODIRATIME,  true },
    {"relatime",      MS_RELATIME,      0,              true },
    {"norelatime",    0,                MS_RELATIME,    true },
    {"strictatime",   MS_STRICTATIME,   0,              true },
    {"nostrictatime", 0,                MS_STRICTATIME, true },
    {"sync",          MS_SYNCHRONOUS,   0,              false},
    {"async",         0,                MS_SYNCHRONOUS, false},
    {"dirsync",       MS_DIRSYNC,       0,              false},
    {"bind",          MS_BIND,          0,              true },
    {"rbind",         MS_BIND | MS_REC, 0,              true },
 /* Every mount of the container is private already: rootfs_mount() makes it so. */
    {"private",       0,                0,              true },
    {"rprivate",      0,                0,              true },
};

/* Propagation that would tie a container's mount to the host's: not in runt. */
static const char *const refused_propagation[] = {
    "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
};

/* "/a/../b" climbs; mounts.c refuses symlinks out of the root, this refuses "..". */
static bool has_dotdot(const char *path)
{
    size_t len = strlen(path);

    return strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
           strstr(path, "/../") != NULL || (len >= 3 && strcmp(path + len - 3, "/..") == 0);
}

/* The options: flags into m->flags, the rest into *data, comma-separated. */
static int parse_options(json_object *v, const char *path, struct bundle *b, struct mount_spec *m,
                         char *data, struct runt_err *err)
{
    const char **options;
    size_t n, used = 0;

    if (oci_strings(v, path, b, &options, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t f = 0;

        while (f < ARRAY_SIZE(mount_flags) && strcmp(mount_flags[f].name, options[i]) != 0)
            f++;
        for (size_t r = 0; r < ARRAY_SIZE(refused_propagation); r++)
            if (strcmp(refused_propagation[r], options[i]) == 0)
                return runt_fail(err, 0,
                                 "config.json: %s: '%s': runt keeps every mount of the "
                                 "container private",
                                 path, options[i]);
        if (f < ARRAY_SIZE(mount_flags)) {
            m->flags = (m->flags & ~mount_flags[f].clear) | mount_flags[f].set;
            continue;
        }
        if (used + strlen(options[i]) + 2 > PATH_MAX)
            return runt_fail(err, 0, "config.json: %s: too long", path);
        used += (size_t)snprintf(data + used, PATH_MAX - used, "%s%s", used ? "," : "", options[i]);
    }
    return 0;
}

/* A bind mount: only flags a bind mount can have, and no filesystem options. */
static int check_bind_options(json_object *v, const char *path, const char *data,
                              struct runt_err *err)
{
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        const char *o = json_object_get_string(json_object_array_get_idx(v, i));

        for (size_t f = 0; f < ARRAY_SIZE(mount_flags); f++)
            if (strcmp(mount_flags[f].name, o) == 0 && !mount_flags[f].for_bind)
                return runt_fail(err, 0,
                                 "config.json: %s: '%s' applies to a whole filesystem, not "
                                 "to a bind mount",
                                 path, o);
    }
    if (data[0] != '\0')
        return runt_fail(err, 0,
                         "config.json: %s: '%s' is not a mount flag, and a bind mount takes no "
                         "filesystem options",
                         path, data);
    return 0;
}

static int parse_mount(json_object *v, const char *path, struct bundle *b, struct mount_spec *m,
                       struct runt_err *err)
{
    static const char *const known[] = {"destination", "type", "source", "options", NULL};
    json_object *field, *options = NULL;
    char sub[256], *data = bundle_alloc(b, PATH_MAX, err);

    if (data == NULL || want_type(v, json_type_object, path, err) < 0)
        return -1;
    json_object_object_foreach(v, key, value)
    {
        size_t k = 0;

        while (known[k] != NULL && strcmp(known[k], key) != 0)
            k++;
        if (known[k] == NULL && json_object_get_type(value) != json_type_null)
            return runt_fail(err, 0, "config.json: %s.%s: not supported by runt", path, key);
    }
    child_path(sub, sizeof(sub), path, "destination");
    if (!json_object_object_get_ex(v, "destination", &field))
        return runt_fail(err, 0, "config.json: %s: missing", sub);
    if (oci_string(field, sub, &m->destination, err) < 0)
        return -1;
    if (m->destination[0] != '/' || has_dotdot(m->destination))
        return runt_fail(err, 0, "config.json: %s: '%s' must be absolute, without '..'", sub,
                         m->destination);
    child_path(sub, sizeof(sub), path, "type");
    if (json_object_object_get_ex(v, "type", &field) && oci_string(field, sub, &m->type, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "source");
    if (json_object_object_get_ex(v, "source", &field) &&
        oci_string(field, sub, &m->source, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "options");
    if (json_object_object_get_ex(v, "options", &options) &&
        parse_options(options, sub, b, m, data, err) < 0)
        return -1;
    if (m->type != NULL && strcmp(m->type, "bind") == 0)
        m->flags |= MS_BIND;
    if (!(m->flags & MS_BIND)) {
        if (m->type == NULL || m->type[0] == '\0' || strcmp(m->type, "none") == 0)
            return runt_fail(err, 0, "config.json: %s: a filesystem type, or a bind mount", path);
        m->data = data[0] != '\0' ? data : NULL;
        return 0;
    }
    if (options != NULL && check_bind_options(options, sub, data, err) < 0)
        return -1;
    if (m->source == NULL || m->source[0] == '\0')
        return runt_fail(err, 0, "config.json: %s.source: a bind mount needs one", path);
    /* A relative source is relative to the bundle. */
    return bundle_path(b, m->source, &m->source, err);
}

int parse_mounts(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct config *cfg = &b->cfg;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        struct mount_spec m = {0};
        char sub[256];

        index_path(sub, sizeof(sub), path, i);
        if (parse_mount(json_object_array_get_idx(v, i), sub, b, &m, err) < 0 ||
            config_add_mount(cfg, &m, err) < 0)
            return -1;
    }
    return 0;
}

/* For `runt features`: the mount options runt knows as flags. */
json_object *mount_option_names(void)
{
    json_object *list = json_object_new_array();

    for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++)
        json_object_array_add(list, json_object_new_string(mount_flags[i].name));
    return list;
}
