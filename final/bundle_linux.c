/*
 * runt (final): config.json's "linux": namespaces, id mappings, sysctls,
 * masked and read-only paths; its cgroup and resources are in
 * bundle_resources.c, its seccomp profile in oci_seccomp.c.
 */
#include "oci.h"

#include <string.h>
#include <sys/mount.h>

/* ---- namespaces and id mappings ---- */

static const char *const ns_names[NS_COUNT] = {
    [NS_IPC] = "ipc",       [NS_UTS] = "uts",   [NS_NET] = "network", [NS_PID] = "pid",
    [NS_CGROUP] = "cgroup", [NS_MNT] = "mount", [NS_USER] = "user",
};

/* {"type": "network", "path": "/run/netns/x"}: a new one, or the one at path (setns(2)). */
static int parse_namespace(json_object *v, const char *path, struct config *cfg,
                           struct runt_err *err)
{
    json_object *type, *ns_path = NULL;
    const char *name, *p = NULL;
    int ns = 0;

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    if (!json_object_object_get_ex(v, "path", &ns_path))
        ns_path = NULL;
    if (!json_object_object_get_ex(v, "type", &type) ||
        json_object_object_length(v) != (ns_path != NULL ? 2 : 1))
        return runt_fail(err, 0, "config.json: %s: must be {type[, path]}", path);
    if (oci_string(type, path, &name, err) < 0 ||
        (ns_path != NULL && oci_string(ns_path, path, &p, err) < 0))
        return -1;
    while (ns < NS_COUNT && strcmp(ns_names[ns], name) != 0)
        ns++;
    if (ns == NS_COUNT)
        return runt_fail(err, 0, "config.json: %s: '%s' namespaces are not supported by runt", path,
                         name);
    if (cfg->ns[ns].create)
        return runt_fail(err, 0, "config.json: %s: a second %s namespace", path, name);
    if (p != NULL && p[0] == '\0')
        p = NULL;
    /* A user namespace must be entered before the others, a mount namespace is where runt
       builds the root: joining either by path is not in runt. */
    if (p != NULL && (ns == NS_USER || ns == NS_MNT))
        return runt_fail(err, 0, "config.json: %s: runt cannot join a %s namespace by path", path,
                         name);
    cfg->ns[ns].create = true;
    cfg->ns[ns].path = p;
    return 0;
}

static int parse_namespaces(json_object *v, const char *path, struct bundle *b,
                            struct runt_err *err)
{
    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[256];

        index_path(sub, sizeof(sub), path, i);
        if (parse_namespace(json_object_array_get_idx(v, i), sub, &b->cfg, err) < 0)
            return -1;
    }
    return 0;
}

/* [{"containerID": 0, "hostID": 100000, "size": 65536}]: one line of uid_map each. */
static int parse_id_maps(json_object *v, const char *path, struct id_map *maps, size_t *n,
                         struct runt_err *err)
{
    static const char *const keys[] = {"containerID", "hostID", "size"};

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    if (json_object_array_length(v) > RUNT_MAX_IDMAPS)
        return runt_fail(err, 0, "config.json: %s: more than %d ranges", path, RUNT_MAX_IDMAPS);
    for (*n = 0; *n < json_object_array_length(v); (*n)++) {
        json_object *range = json_object_array_get_idx(v, *n);
        uint32_t *fields[] = {&maps[*n].inside, &maps[*n].outside, &maps[*n].count};
        char sub[256];

        index_path(sub, sizeof(sub), path, *n);
        if (want_type(range, json_type_object, sub, err) < 0)
            return -1;
        if (json_object_object_length(range) != 3)
            return runt_fail(err, 0, "config.json: %s: must be {containerID, hostID, size}", sub);
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
            json_object *f;
            long long value;
            char key[300];

            child_path(key, sizeof(key), sub, keys[k]);
            if (!json_object_object_get_ex(range, keys[k], &f))
                return runt_fail(err, 0, "config.json: %s: missing", key);
            if (oci_int(f, key, 0, 0xffffffffLL, &value, err) < 0)
                return -1;
            *fields[k] = (uint32_t)value;
        }
    }
    return 0;
}

static int parse_uid_mappings(json_object *v, const char *path, struct bundle *b,
                              struct runt_err *err)
{
    return parse_id_maps(v, path, b->cfg.uid_map, &b->cfg.n_uid_map, err);
}

static int parse_gid_mappings(json_object *v, const char *path, struct bundle *b,
                              struct runt_err *err)
{
    return parse_id_maps(v, path, b->cfg.gid_map, &b->cfg.n_gid_map, err);
}

/* ---- sysctl, paths, propagation ---- */

static int parse_sysctl(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct config *cfg = &b->cfg;

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    json_object_object_foreach(v, key, value)
    {
        char sub[256];

        child_path(sub, sizeof(sub), path, key);
        if (cfg->n_sysctl == RUNT_MAX_SYSCTL)
            return runt_fail(err, 0, "config.json: %s: more than %d sysctls", sub, RUNT_MAX_SYSCTL);
        /* The key becomes a path under /proc/sys: no way out of it. */
        if (key[0] == '\0' || strchr(key, '/') != NULL || strstr(key, "..") != NULL)
            return runt_fail(err, 0, "config.json: %s: not a sysctl name", sub);
        if (oci_string(value, sub, &cfg->sysctl[cfg->n_sysctl].value, err) < 0)
            return -1;
        cfg->sysctl[cfg->n_sysctl++].key = key;
    }
    return 0;
}

static int parse_paths(json_object *v, const char *path, const char **paths, size_t *n,
                       struct bundle *b, struct runt_err *err)
{
    const char **list;
    size_t len;

    if (oci_strings(v, path, b, &list, &len, err) < 0)
        return -1;
    if (len > RUNT_MAX_PATHS)
        return runt_fail(err, 0, "config.json: %s: more than %d paths", path, RUNT_MAX_PATHS);
    for (*n = 0; *n < len; (*n)++) {
        if (list[*n][0] != '/')
            return runt_fail(err, 0, "config.json: %s[%zu]: '%s' must be absolute", path, *n,
                             list[*n]);
        paths[*n] = list[*n];
    }
    return 0;
}

static int parse_masked(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    return parse_paths(v, path, b->cfg.masked_paths, &b->cfg.n_masked, b, err);
}

static int parse_readonly_paths(json_object *v, const char *path, struct bundle *b,
                                struct runt_err *err)
{
    return parse_paths(v, path, b->cfg.readonly_paths, &b->cfg.n_readonly, b, err);
}

/* How the container's mounts see the host's new ones: never (private) or one way (slave). */
static int parse_propagation(json_object *v, const char *path, struct bundle *b,
                             struct runt_err *err)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } kinds[] = {
        {"private",  MS_PRIVATE         },
        {"rprivate", MS_REC | MS_PRIVATE},
        {"slave",    MS_SLAVE           },
        {"rslave",   MS_REC | MS_SLAVE  },
    };
    const char *s;

    if (oci_string(v, path, &s, err) < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (strcmp(kinds[i].name, s) == 0) {
            b->cfg.root_propagation = kinds[i].flags;
            return 0;
        }
    }
    return runt_fail(err, 0, "config.json: %s: '%s': runt supports private and slave", path, s);
}

int parse_linux(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"namespaces",        parse_namespaces    },
        {"uidMappings",       parse_uid_mappings  },
        {"gidMappings",       parse_gid_mappings  },
        {"cgroupsPath",       parse_cgroups_path  },
        {"resources",         parse_resources     },
        {"sysctl",            parse_sysctl        },
        {"seccomp",           parse_seccomp       },
        {"rootfsPropagation", parse_propagation   },
        {"maskedPaths",       parse_masked        },
        {"readonlyPaths",     parse_readonly_paths},
        {"devices",           NULL                },
        {"timeOffsets",       NULL                },
        {"intelRdt",          NULL                },
        {"mountLabel",        NULL                },
        {"personality",       NULL                },
        {NULL,                NULL                },
    };

    return parse_fields(v, path, fields, b, err);
}

/* Which namespace a sysctl belongs to; NS_COUNT: none, it is the whole host's. */
static int sysctl_namespace(const char *key)
{
    static const char *const ipc_keys[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    };

    for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
        if (strcmp(ipc_keys[i], key) == 0)
            return NS_IPC;
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return NS_IPC;
    if (strncmp(key, "net.", 4) == 0)
        return NS_NET;
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return NS_UTS;
    return NS_COUNT;
}

/* What can be checked only once everything is read (JSON objects have no order). */
int check_linux(const struct config *cfg, struct runt_err *err)
{
    if (!cfg->ns[NS_MNT].create)
        return runt_fail(err, 0, "config.json: linux.namespaces: runt needs a mount namespace");
    if (cfg->ns[NS_USER].create != (cfg->n_uid_map > 0 && cfg->n_gid_map > 0))
        return runt_fail(err, 0,
                         "config.json: linux: a user namespace needs uidMappings and "
                         "gidMappings, and they need a user namespace");
    if (cfg->hostname != NULL && !cfg->ns[NS_UTS].create)
        return runt_fail(err, 0, "config.json: hostname: the host's, without a uts namespace");
    for (size_t i = 0; i < cfg->n_sysctl; i++) {
        int ns = sysctl_namespace(cfg->sysctl[i].key);

        if (ns == NS_COUNT)
            return runt_fail(err, 0,
                             "config.json: linux.sysctl.%s: not namespaced: it would change "
                             "the host",
                             cfg->sysctl[i].key);
        if (!cfg->ns[ns].create)
            return runt_fail(err, 0,
                             "config.json: linux.sysctl.%s: the container shares the host's %s "
                             "namespace",
                             cfg->sysctl[i].key, ns_names[ns]);
    }
    return 0;
}
