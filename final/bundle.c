/*
 * runt (final): an OCI bundle's config.json, read into struct config.
 *
 * This file reads the top level; bundle_process.c reads "process",
 * bundle_mounts.c "mounts", bundle_linux.c and bundle_resources.c "linux",
 * oci_seccomp.c its seccomp profile. Each object's fields are
 * a table (json.c): what runt implements has a parser, what it does not is
 * refused by name. The config's strings point into the parsed JSON, which
 * lives as long as the bundle.
 */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- root, hostname, annotations ---- */

/* A path of the bundle: relative ones are relative to the bundle's directory. */
int bundle_path(struct bundle *b, const char *path, const char **out, struct runt_err *err)
{
    char *abs;

    if (path[0] == '/') {
        *out = path;
        return 0;
    }
    abs = bundle_alloc(b, PATH_MAX, err);
    if (abs == NULL || join_path(abs, b->dir, path, err) < 0)
        return -1;
    *out = abs;
    return 0;
}

static int parse_root_path(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char *root;

    if (oci_string(v, path, &root, err) < 0)
        return -1;
    return bundle_path(b, root, &b->cfg.root_path, err);
}

static int parse_readonly(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    return oci_bool(v, path, &b->cfg.root_readonly, err);
}

static int parse_root(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"path",     parse_root_path},
        {"readonly", parse_readonly },
        {NULL,       NULL           },
    };

    return parse_fields(v, path, fields, b, err);
}

static int parse_hostname(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    if (oci_string(v, path, &b->cfg.hostname, err) < 0)
        return -1;
    if (strlen(b->cfg.hostname) > HOST_NAME_MAX)
        return runt_fail(err, 0, "config.json: %s: longer than %d characters", path, HOST_NAME_MAX);
    if (b->cfg.hostname[0] == '\0')
        b->cfg.hostname = NULL;
    return 0;
}

/* The spec's major version 1: later 1.x only add fields, which the tables refuse by name. */
static int parse_version(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char *version;

    (void)b;
    if (oci_string(v, path, &version, err) < 0)
        return -1;
    if (strncmp(version, "1.", 2) != 0)
        return runt_fail(err, 0, "config.json: %s: runt reads version 1.x, not '%s'", path,
                         version);
    return 0;
}

/* Annotations are the caller's notes: kept (in the saved config), shown by `runt state`. */
static int parse_annotations(json_object *v, const char *path, struct bundle *b,
                             struct runt_err *err)
{
    (void)b;
    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    json_object_object_foreach(v, key, value)
    {
        char sub[256];

        child_path(sub, sizeof(sub), path, key);
        if (want_type(value, json_type_string, sub, err) < 0)
            return -1;
    }
    return 0;
}

static const struct field top_fields[] = {
    {"ociVersion",  parse_version    },
    {"process",     parse_process    },
    {"root",        parse_root       },
    {"hostname",    parse_hostname   },
    {"domainname",  NULL             },
    {"mounts",      parse_mounts     },
    {"hooks",       NULL             },
    {"annotations", parse_annotations},
    {"linux",       parse_linux      },
    {"solaris",     NULL             },
    {"windows",     NULL             },
    {"vm",          NULL             },
    {"zos",         NULL             },
    {NULL,          NULL             },
};

/* What an OCI config does not say is not done: no namespaces, mounts or limits of runt's own. */
static void config_init_empty(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->process.cwd = "/";
    cfg->resources.cpu_period_us = CPU_PERIOD_US;
    cfg->root_propagation = MS_REC | MS_PRIVATE;
}

static int read_json(const char *file, struct bundle *b, struct runt_err *err)
{
    b->json = json_object_from_file(file);
    if (b->json == NULL) {
        if (access(file, R_OK) < 0)
            return runt_fail(err, errno, "%s", file);
        return runt_fail(err, 0, "%s: %s", file, json_util_get_last_err());
    }
    return 0;
}

int bundle_load(const char *dir, struct bundle *b, struct runt_err *err)
{
    char file[PATH_MAX];

    memset(b, 0, sizeof(*b));
    config_init_empty(&b->cfg);
    if (realpath(dir, b->dir) == NULL)
        return runt_fail(err, errno, "bundle %s", dir);
    b->cfg.bundle = b->dir;
    if (join_path(file, b->dir, "config.json", err) < 0 || read_json(file, b, err) < 0 ||
        parse_fields(b->json, "", top_fields, b, err) < 0)
        return -1;
    if (b->cfg.process.args == NULL)
        return runt_fail(err, 0, "config.json: process.args: no command");
    if (b->cfg.root_path == NULL)
        return runt_fail(err, 0, "config.json: root.path: missing");
    return check_linux(&b->cfg, err);
}

/* runt exec --process FILE: a "process" object alone. */
int bundle_load_process(const char *file, struct bundle *b, struct runt_err *err)
{
    memset(b, 0, sizeof(*b));
    config_init_empty(&b->cfg);
    if (read_json(file, b, err) < 0 || parse_process(b->json, "process", b, err) < 0)
        return -1;
    if (b->cfg.process.args == NULL)
        return runt_fail(err, 0, "%s: args: no command", file);
    return 0;
}

void bundle_free(struct bundle *b)
{
    config_free(&b->cfg);
    for (size_t i = 0; i < b->n_owned; i++)
        free(b->owned[i]);
    free(b->owned);
    b->owned = NULL;
    b->n_owned = 0;
    if (b->json != NULL)
        json_object_put(b->json);
    b->json = NULL;
}
