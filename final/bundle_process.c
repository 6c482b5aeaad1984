/*
 * runt (final): config.json's "process": what to run, as whom, with which
 * capabilities and limits. `runt exec --process FILE` reads the same object.
 */
#include "oci.h"

#include <stdio.h>
#include <string.h>

static int parse_terminal(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    return oci_bool(v, path, &b->cfg.process.terminal, err);
}

static int parse_console_height(json_object *v, const char *path, struct bundle *b,
                                struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, 0, 65535, &n, err) < 0)
        return -1;
    b->cfg.process.console_rows = (unsigned short)n;
    return 0;
}

static int parse_console_width(json_object *v, const char *path, struct bundle *b,
                               struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, 0, 65535, &n, err) < 0)
        return -1;
    b->cfg.process.console_cols = (unsigned short)n;
    return 0;
}

static int parse_console_size(json_object *v, const char *path, struct bundle *b,
                              struct runt_err *err)
{
    static const struct field fields[] = {
        {"height", parse_console_height},
        {"width",  parse_console_width },
        {NULL,     NULL                },
    };

    return parse_fields(v, path, fields, b, err);
}

static int parse_uid(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, 0, 0xfffffffeLL, &n, err) < 0)
        return -1;
    b->cfg.process.uid = (uid_t)n;
    return 0;
}

static int parse_gid(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, 0, 0xfffffffeLL, &n, err) < 0)
        return -1;
    b->cfg.process.gid = (gid_t)n;
    return 0;
}

static int parse_umask(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, 0, 0777, &n, err) < 0)
        return -1;
    b->cfg.process.set_umask = true;
    b->cfg.process.umask = (mode_t)n;
    return 0;
}

static int parse_gids(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct process_config *p = &b->cfg.process;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    if (json_object_array_length(v) > RUNT_MAX_GIDS)
        return runt_fail(err, 0, "config.json: %s: more than %d groups", path, RUNT_MAX_GIDS);
    p->n_gids = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[256];
        long long n;

        index_path(sub, sizeof(sub), path, i);
        if (oci_int(json_object_array_get_idx(v, i), sub, 0, 0xfffffffeLL, &n, err) < 0)
            return -1;
        p->gids[p->n_gids++] = (gid_t)n;
    }
    return 0;
}

static int parse_oci_user(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"uid",            parse_uid  },
        {"gid",            parse_gid  },
        {"umask",          parse_umask},
        {"additionalGids", parse_gids },
        {"username",       NULL       }, /* Windows */
        {NULL,             NULL       },
    };

    return parse_fields(v, path, fields, b, err);
}

static int parse_args(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char **args;
    size_t n;

    if (oci_strings(v, path, b, &args, &n, err) < 0)
        return -1;
    if (n == 0 || args[0][0] == '\0')
        return runt_fail(err, 0, "config.json: %s: no command", path);
    b->cfg.process.args = (char **)args;
    return 0;
}

static int parse_oci_env(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char **env;
    size_t n;

    if (oci_strings(v, path, b, &env, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (config_add_env(&b->cfg.process, env[i], err) < 0) {
            runt_err_prefix(err, "config.json: %s[%zu]", path, i);
            return -1;
        }
    }
    return 0;
}

static int parse_cwd(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    if (oci_string(v, path, &b->cfg.process.cwd, err) < 0)
        return -1;
    if (b->cfg.process.cwd[0] != '/')
        return runt_fail(err, 0, "config.json: %s: '%s' must be absolute", path,
                         b->cfg.process.cwd);
    return 0;
}

/* One capability set: names like CAP_NET_RAW, each one this kernel knows. */
static int parse_cap_set(json_object *v, const char *path, uint64_t *mask, struct runt_err *err)
{
    *mask = 0;
    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[256];
        const char *name;
        uint64_t bit;

        index_path(sub, sizeof(sub), path, i);
        if (oci_string(json_object_array_get_idx(v, i), sub, &name, err) < 0)
            return -1;
        snprintf(sub, sizeof(sub), "config.json: %s", path);
        if (parse_cap(sub, name, &bit, err) < 0)
            return -1;
        *mask |= bit;
    }
    return 0;
}

#define CAP_SET_PARSER(set)                                                                        \
    static int parse_##set(json_object *v, const char *path, struct bundle *b,                     \
                           struct runt_err *err)                                                   \
    {                                                                                              \
        return parse_cap_set(v, path, &b->cfg.process.caps.set, err);                              \
    }
CAP_SET_PARSER(bounding)
CAP_SET_PARSER(effective)
CAP_SET_PARSER(permitted)
CAP_SET_PARSER(inheritable)
CAP_SET_PARSER(ambient)

static int parse_capabilities(json_object *v, const char *path, struct bundle *b,
                              struct runt_err *err)
{
    static const struct field fields[] = {
        {"bounding",    parse_bounding   },
        {"effective",   parse_effective  },
        {"permitted",   parse_permitted  },
        {"inheritable", parse_inheritable},
        {"ambient",     parse_ambient    },
        {NULL,          NULL             },
    };

    return parse_fields(v, path, fields, b, err);
}

/* {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}: setrlimit(2) in the init. */
static int parse_rlimit(json_object *v, const char *path, struct rlimit_spec *r,
                        struct runt_err *err)
{
    json_object *type, *soft, *hard;
    const char *name;
    char sub[256];

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    if (!json_object_object_get_ex(v, "type", &type) ||
        !json_object_object_get_ex(v, "soft", &soft) ||
        !json_object_object_get_ex(v, "hard", &hard) || json_object_object_length(v) != 3)
        return runt_fail(err, 0, "config.json: %s: must be {type, soft, hard}", path);
    child_path(sub, sizeof(sub), path, "type");
    if (oci_string(type, sub, &name, err) < 0)
        return -1;
    r->resource = rlimit_from_name(name);
    if (r->resource < 0)
        return runt_fail(err, 0, "config.json: %s: '%s' is not a limit (see getrlimit(2))", sub,
                         name);
    child_path(sub, sizeof(sub), path, "soft");
    if (oci_u64(soft, sub, &r->limit.rlim_cur, err) < 0)
        return -1;
    child_path(sub, sizeof(sub), path, "hard");
    if (oci_u64(hard, sub, &r->limit.rlim_max, err) < 0)
        return -1;
    if (r->limit.rlim_cur > r->limit.rlim_max)
        return runt_fail(err, 0, "config.json: %s: soft %llu is above hard %llu", path,
                         (unsigned long long)r->limit.rlim_cur,
                         (unsigned long long)r->limit.rlim_max);
    return 0;
}

static int parse_rlimits(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct process_config *p = &b->cfg.process;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    p->n_rlimits = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[256];

        index_path(sub, sizeof(sub), path, i);
        if (p->n_rlimits == RUNT_MAX_RLIMITS)
            return runt_fail(err, 0, "config.json: %s: too many limits", sub);
        if (parse_rlimit(json_object_array_get_idx(v, i), sub, &p->rlimits[p->n_rlimits], err) < 0)
            return -1;
        for (size_t j = 0; j < p->n_rlimits; j++)
            if (p->rlimits[j].resource == p->rlimits[p->n_rlimits].resource)
                return runt_fail(err, 0, "config.json: %s: %s is set twice", sub,
                                 rlimit_name(p->rlimits[j].resource));
        p->n_rlimits++;
    }
    return 0;
}

static int parse_nnp(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    return oci_bool(v, path, &b->cfg.process.no_new_privileges, err);
}

static int parse_oom(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    long long n;

    if (oci_int(v, path, -1000, 1000, &n, err) < 0)
        return -1;
    b->cfg.process.set_oom_score_adj = true;
    b->cfg.process.oom_score_adj = (int)n;
    return 0;
}

/* An AppArmor profile can only be honoured where AppArmor is on: refused elsewhere. */
static int parse_apparmor(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    if (oci_string(v, path, &b->cfg.process.apparmor_profile, err) < 0)
        return -1;
    if (!apparmor_enabled())
        return runt_fail(err, 0, "config.json: %s: AppArmor is not enabled on this host", path);
    return 0;
}

static const struct field process_fields[] = {
    {"terminal",        parse_terminal    },
    {"consoleSize",     parse_console_size},
    {"user",            parse_oci_user    },
    {"args",            parse_args        },
    {"commandLine",     NULL              }, /* Windows */
    {"env",             parse_oci_env     },
    {"cwd",             parse_cwd         },
    {"capabilities",    parse_capabilities},
    {"rlimits",         parse_rlimits     },
    {"noNewPrivileges", parse_nnp         },
    {"apparmorProfile", parse_apparmor    },
    {"oomScoreAdj",     parse_oom         },
    {"selinuxLabel",    NULL              },
    {"ioPriority",      NULL              },
    {"scheduler",       NULL              },
    {"execCPUAffinity", NULL              },
    {NULL,              NULL              },
};

int parse_process(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    return parse_fields(v, path, process_fields, b, err);
}
