/*
 * runt (final): config.json's cgroup (linux.cgroupsPath) and its limits
 * (linux.resources): memory, CPU, tasks, and which devices may be used.
 * cgroup.c writes them; devices.c turns the device rules into v1's files or
 * a v2 BPF program.
 */
#include "oci.h"

#include <string.h>

/* "/libpod_parent/libpod-<id>": below each hierarchy's root; never above it. */
int parse_cgroups_path(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char *p;

    if (oci_string(v, path, &p, err) < 0)
        return -1;
    p += strspn(p, "/");
    if (p[0] == '\0' || strstr(p, "..") != NULL || strchr(p, ':') != NULL)
        return runt_fail(err, 0,
                         "config.json: %s: '%s' is not a cgroupfs path (systemd's "
                         "slice:prefix:name is not supported)",
                         path, json_object_get_string(v));
    b->cfg.cgroups_path = p;
    return 0;
}

/* A number of bytes, or -1 for no limit. */
static int parse_limit(json_object *v, const char *path, unsigned long long *out,
                       struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, -1, INT64_MAX, &n, err) < 0)
        return -1;
    *out = n > 0 ? (unsigned long long)n : 0;
    return 0;
}

static int parse_memory_limit(json_object *v, const char *path, struct bundle *b,
                              struct runt_err *err)
{
    return parse_limit(v, path, &b->cfg.resources.memory, err);
}

/* OCI's swap, like v1's memsw, is memory and swap together (cgroup.c turns it into v2's). */
static int parse_memory_swap(json_object *v, const char *path, struct bundle *b,
                             struct runt_err *err)
{
    return parse_limit(v, path, &b->cfg.resources.memory_swap, err);
}

static int parse_oci_memory(json_object *v, const char *path, struct bundle *b,
                            struct runt_err *err)
{
    static const struct field fields[] = {
        {"limit",             parse_memory_limit},
        {"swap",              parse_memory_swap },
        {"reservation",       NULL              },
        {"kernel",            NULL              },
        {"kernelTCP",         NULL              },
        {"swappiness",        NULL              },
        {"disableOOMKiller",  NULL              },
        {"useHierarchy",      NULL              },
        {"checkBeforeUpdate", NULL              },
        {NULL,                NULL              },
    };
    const struct resources *r = &b->cfg.resources;

    if (parse_fields(v, path, fields, b, err) < 0)
        return -1;
    if (r->memory_swap > 0 && r->memory_swap < r->memory)
        return runt_fail(err, 0, "config.json: %s.swap: below the memory limit (it counts both)",
                         path);
    return 0;
}

static int parse_cpu_shares(json_object *v, const char *path, struct bundle *b,
                            struct runt_err *err)
{
    long long n;

    /* The kernel's range for cpu.shares (v1); 0 leaves the default. */
    if (oci_int(v, path, 0, 262144, &n, err) < 0)
        return -1;
    if (n == 1)
        return runt_fail(err, 0, "config.json: %s: at least 2", path);
    b->cfg.resources.cpu_shares = (unsigned long long)n;
    return 0;
}

static int parse_cpu_quota(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, -1, 1000000LL * 1024, &n, err) < 0)
        return -1;
    if (n > 0 && n < 1000)
        return runt_fail(err, 0, "config.json: %s: at least 1000 (1 ms)", path);
    b->cfg.resources.cpu_quota_us = n > 0 ? (long)n : 0;
    return 0;
}

static int parse_cpu_period(json_object *v, const char *path, struct bundle *b,
                            struct runt_err *err)
{
    long long n;

    /* The kernel's range: 1 ms to 1 s. */
    if (oci_int(v, path, 0, 1000000, &n, err) < 0)
        return -1;
    if (n > 0 && n < 1000)
        return runt_fail(err, 0, "config.json: %s: at least 1000 (1 ms)", path);
    if (n > 0)
        b->cfg.resources.cpu_period_us = (long)n;
    return 0;
}

static int parse_cpu(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"shares",          parse_cpu_shares},
        {"quota",           parse_cpu_quota },
        {"period",          parse_cpu_period},
        {"burst",           NULL            },
        {"realtimeRuntime", NULL            },
        {"realtimePeriod",  NULL            },
        {"cpus",            NULL            },
        {"mems",            NULL            },
        {"idle",            NULL            },
        {NULL,              NULL            },
    };

    return parse_fields(v, path, fields, b, err);
}

static int parse_pids_limit(json_object *v, const char *path, struct bundle *b,
                            struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, -1, 4L * 1024 * 1024, &n, err) < 0)
        return -1;
    b->cfg.resources.pids = n > 0 ? (long)n : 0;
    return 0;
}

static int parse_oci_pids(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"limit", parse_pids_limit},
        {NULL,    NULL            },
    };

    return parse_fields(v, path, fields, b, err);
}

/* {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}; absent: any. */
static int parse_device_rule(json_object *v, const char *path, struct device_rule *r,
                             struct runt_err *err)
{
    json_object *f;
    const char *s = "a";
    char sub[300];

    *r = (struct device_rule){.type = 'a', .major = -1, .minor = -1};
    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "allow");
    if (!json_object_object_get_ex(v, "allow", &f))
        return runt_fail(err, 0, "config.json: %s: missing", sub);
    if (oci_bool(f, sub, &r->allow, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "type");
    if (json_object_object_get_ex(v, "type", &f) && oci_string(f, sub, &s, err) < 0)
        return -1;
    if (strlen(s) != 1 || strchr("acb", s[0]) == NULL)
        return runt_fail(err, 0, "config.json: %s: '%s' is not a, c or b", sub, s);
    r->type = s[0];
    child_path(sub, sizeof(sub), path, "major");
    if (json_object_object_get_ex(v, "major", &f) && oci_int(f, sub, -1, 0xfff, &r->major, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "minor");
    if (json_object_object_get_ex(v, "minor", &f) &&
        oci_int(f, sub, -1, 0xfffff, &r->minor, err) < 0)
        return -1;
    s = "rwm";
    child_path(sub, sizeof(sub), path, "access");
    if (json_object_object_get_ex(v, "access", &f) && oci_string(f, sub, &s, err) < 0)
        return -1;
    if (s[0] == '\0' || strspn(s, "rwm") != strlen(s))
        return runt_fail(err, 0, "config.json: %s: '%s' is not made of r, w and m", sub, s);
    r->access = (strchr(s, 'r') ? DEV_READ : 0) | (strchr(s, 'w') ? DEV_WRITE : 0) |
                (strchr(s, 'm') ? DEV_MKNOD : 0);
    return 0;
}

static int parse_devices(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct resources *r = &b->cfg.resources;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    /* runt adds its own default nodes' rules after these (devices.c): room for them. */
    if (json_object_array_length(v) > RUNT_MAX_DEVICES - 16)
        return runt_fail(err, 0, "config.json: %s: more than %d rules", path,
                         RUNT_MAX_DEVICES - 16);
    for (r->n_devices = 0; r->n_devices < json_object_array_length(v); r->n_devices++) {
        char sub[256];

        index_path(sub, sizeof(sub), path, r->n_devices);
        if (parse_device_rule(json_object_array_get_idx(v, r->n_devices), sub,
                              &r->devices[r->n_devices], err) < 0)
            return -1;
    }
    return 0;
}

int parse_resources(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"devices",        parse_devices   },
        {"memory",         parse_oci_memory},
        {"cpu",            parse_cpu       },
        {"pids",           parse_oci_pids  },
        {"blockIO",        NULL            },
        {"hugepageLimits", NULL            },
        {"network",        NULL            },
        {"rdma",           NULL            },
        {"unified",        NULL            },
        {NULL,             NULL            },
    };

    return parse_fields(v, path, fields, b, err);
}
