/*
 * runt (final): linux.seccomp, read into struct seccomp_profile (which
 * load_seccomp() turns into a filter, applied last in the init), and written
 * out again by `runt spec`. The names of actions, comparisons and
 * architectures are libseccomp's, as the OCI runtime spec uses them.
 */
#include "oci.h"

#include <errno.h>
#include <string.h>

struct named {
    const char *name;
    uint32_t value;
};

/* Actions whose value carries no data; ERRNO and TRACE carry errnoRet. */
static const struct named actions[] = {
    {"SCMP_ACT_ALLOW",        SCMP_ACT_ALLOW       },
    {"SCMP_ACT_KILL",         SCMP_ACT_KILL_THREAD },
    {"SCMP_ACT_KILL_THREAD",  SCMP_ACT_KILL_THREAD },
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP",         SCMP_ACT_TRAP        },
    {"SCMP_ACT_LOG",          SCMP_ACT_LOG         },
};

static const struct named operators[] = {
    {"SCMP_CMP_NE",        SCMP_CMP_NE       },
    {"SCMP_CMP_LT",        SCMP_CMP_LT       },
    {"SCMP_CMP_LE",        SCMP_CMP_LE       },
    {"SCMP_CMP_EQ",        SCMP_CMP_EQ       },
    {"SCMP_CMP_GE",        SCMP_CMP_GE       },
    {"SCMP_CMP_GT",        SCMP_CMP_GT       },
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct named arches[] = {
    {"SCMP_ARCH_X86",         SCMP_ARCH_X86        },
    {"SCMP_ARCH_X86_64",      SCMP_ARCH_X86_64     },
    {"SCMP_ARCH_X32",         SCMP_ARCH_X32        },
    {"SCMP_ARCH_ARM",         SCMP_ARCH_ARM        },
    {"SCMP_ARCH_AARCH64",     SCMP_ARCH_AARCH64    },
    {"SCMP_ARCH_MIPS",        SCMP_ARCH_MIPS       },
    {"SCMP_ARCH_MIPS64",      SCMP_ARCH_MIPS64     },
    {"SCMP_ARCH_MIPS64N32",   SCMP_ARCH_MIPS64N32  },
    {"SCMP_ARCH_MIPSEL",      SCMP_ARCH_MIPSEL     },
    {"SCMP_ARCH_MIPSEL64",    SCMP_ARCH_MIPSEL64   },
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC",         SCMP_ARCH_PPC        },
    {"SCMP_ARCH_PPC64",       SCMP_ARCH_PPC64      },
    {"SCMP_ARCH_PPC64LE",     SCMP_ARCH_PPC64LE    },
    {"SCMP_ARCH_S390",        SCMP_ARCH_S390       },
    {"SCMP_ARCH_S390X",       SCMP_ARCH_S390X      },
    {"SCMP_ARCH_PARISC",      SCMP_ARCH_PARISC     },
    {"SCMP_ARCH_PARISC64",    SCMP_ARCH_PARISC64   },
    {"SCMP_ARCH_RISCV64",     SCMP_ARCH_RISCV64    },
};

static const struct named *by_name(const struct named *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static const char *name_of(const struct named *table, size_t n, uint32_t value)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return "?";
}

#define ERRNO_BASE SCMP_ACT_ERRNO(0)
#define TRACE_BASE SCMP_ACT_TRACE(0)
#define DATA_MASK  0xffffU

/* An action and its errnoRet (for ERRNO and TRACE; EPERM when absent, as the spec says). */
static int parse_action(json_object *name, json_object *errno_ret, const char *path, uint32_t *out,
                        struct runt_err *err)
{
    const struct named *a;
    long long data = EPERM;
    const char *s;

    if (oci_string(name, path, &s, err) < 0)
        return -1;
    if (errno_ret != NULL && oci_int(errno_ret, path, 0, DATA_MASK, &data, err) < 0)
        return -1;
    if (strcmp(s, "SCMP_ACT_ERRNO") == 0 || strcmp(s, "SCMP_ACT_TRACE") == 0) {
        *out = (s[9] == 'E' ? ERRNO_BASE : TRACE_BASE) | (uint32_t)data;
        return 0;
    }
    a = by_name(actions, ARRAY_SIZE(actions), s);
    if (a == NULL)
        return runt_fail(err, 0, "config.json: %s: '%s' is not an action runt supports", path, s);
    if (errno_ret != NULL)
        return runt_fail(err, 0, "config.json: %s: errnoRet goes with SCMP_ACT_ERRNO only", path);
    *out = a->value;
    return 0;
}

/* {"index": 0, "value": 16, "valueTwo": 0, "op": "SCMP_CMP_EQ"} */
static int parse_arg(json_object *v, const char *path, struct seccomp_arg *a, struct runt_err *err)
{
    json_object *index, *value, *two = NULL, *op;
    const struct named *o;
    long long i;

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    if (!json_object_object_get_ex(v, "valueTwo", &two))
        two = NULL;
    if (!json_object_object_get_ex(v, "index", &index) ||
        !json_object_object_get_ex(v, "value", &value) ||
        !json_object_object_get_ex(v, "op", &op) ||
        json_object_object_length(v) != (two != NULL ? 4 : 3))
        return runt_fail(err, 0, "config.json: %s: must be {index, value, [valueTwo,] op}", path);
    if (oci_int(index, path, 0, RUNT_SECCOMP_MAX_ARGS - 1, &i, err) < 0 ||
        oci_u64(value, path, &a->value, err) < 0 ||
        (two != NULL && oci_u64(two, path, &a->value_two, err) < 0))
        return -1;
    a->index = (unsigned int)i;
    o = by_name(operators, ARRAY_SIZE(operators), json_object_get_string(op));
    if (o == NULL)
        return runt_fail(err, 0, "config.json: %s: '%s' is not a comparison", path,
                         json_object_get_string(op));
    a->op = (enum scmp_compare)o->value;
    return 0;
}

static int parse_syscall(json_object *v, const char *path, struct bundle *b, struct seccomp_rule *r,
                         struct runt_err *err)
{
    json_object *names, *action, *errno_ret, *args;
    const char **list;
    char sub[300];
    size_t n;

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    json_object_object_foreach(v, key, value)
    {
        if (strcmp(key, "names") != 0 && strcmp(key, "action") != 0 &&
            strcmp(key, "errnoRet") != 0 && strcmp(key, "args") != 0 &&
            json_object_get_type(value) != json_type_null)
            return runt_fail(err, 0, "config.json: %s.%s: not supported by runt", path, key);
    }
    if (!json_object_object_get_ex(v, "names", &names) ||
        !json_object_object_get_ex(v, "action", &action))
        return runt_fail(err, 0, "config.json: %s: needs names and an action", path);
    child_path(sub, sizeof(sub), path, "names");
    if (oci_strings(names, sub, b, &list, &n, err) < 0)
        return -1;
    r->names = list;
    if (!json_object_object_get_ex(v, "errnoRet", &errno_ret))
        errno_ret = NULL;
    child_path(sub, sizeof(sub), path, "action");
    if (parse_action(action, errno_ret, sub, &r->action, err) < 0)
        return -1;
    if (!json_object_object_get_ex(v, "args", &args) || args == NULL)
        return 0;
    child_path(sub, sizeof(sub), path, "args");
    if (want_type(args, json_type_array, sub, err) < 0)
        return -1;
    if (json_object_array_length(args) > RUNT_SECCOMP_MAX_ARGS)
        return runt_fail(err, 0, "config.json: %s: more than %d comparisons", sub,
                         RUNT_SECCOMP_MAX_ARGS);
    for (r->n_args = 0; r->n_args < json_object_array_length(args); r->n_args++) {
        char arg[320];

        index_path(arg, sizeof(arg), sub, r->n_args);
        if (parse_arg(json_object_array_get_idx(args, r->n_args), arg, &r->args[r->n_args], err) <
            0)
            return -1;
        /* libseccomp compares each argument once per rule: two would be an OR, not an AND. */
        for (size_t j = 0; j < r->n_args; j++)
            if (r->args[j].index == r->args[r->n_args].index)
                return runt_fail(err, 0, "config.json: %s: a second comparison of argument %u", arg,
                                 r->args[j].index);
    }
    return 0;
}

static int parse_syscalls(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    struct seccomp_rule *rules;
    size_t n;

    if (want_type(v, json_type_array, path, err) < 0)
        return -1;
    n = json_object_array_length(v);
    rules = bundle_alloc(b, (n + 1) * sizeof(*rules), err);
    if (rules == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[256];

        index_path(sub, sizeof(sub), path, i);
        if (parse_syscall(json_object_array_get_idx(v, i), sub, b, &rules[i], err) < 0)
            return -1;
    }
    b->seccomp.rules = rules;
    b->seccomp.n_rules = n;
    return 0;
}

/* Architectures this libseccomp does not know are skipped: their calls are then refused. */
static int parse_arches(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char **names;
    uint32_t *list;
    size_t n;

    if (oci_strings(v, path, b, &names, &n, err) < 0)
        return -1;
    list = bundle_alloc(b, (n + 1) * sizeof(*list), err);
    if (list == NULL)
        return -1;
    b->seccomp.arches = list;
    b->seccomp.n_arches = 0;
    for (size_t i = 0; i < n; i++) {
        const struct named *a = by_name(arches, ARRAY_SIZE(arches), names[i]);

        if (a != NULL)
            list[b->seccomp.n_arches++] = a->value;
        else
            say("seccomp: %s: this libseccomp does not know %s: skipped", path, names[i]);
    }
    return 0;
}

static int parse_flags(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    const char **flags;
    size_t n;

    if (oci_strings(v, path, b, &flags, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
            b->seccomp.log = true;
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            b->seccomp.spec_allow = true;
        /* TSYNC: the init is single-threaded, so every thread gets the filter anyway. */
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC") != 0)
            return runt_fail(err, 0, "config.json: %s[%zu]: '%s' is not supported by runt", path, i,
                             flags[i]);
    }
    return 0;
}

/* defaultAction and defaultErrnoRet are read together, by parse_seccomp itself. */
static int read_by_parse_seccomp(json_object *v, const char *path, struct bundle *b,
                                 struct runt_err *err)
{
    (void)v;
    (void)path;
    (void)b;
    (void)err;
    return 0;
}

int parse_seccomp(json_object *v, const char *path, struct bundle *b, struct runt_err *err)
{
    static const struct field fields[] = {
        {"defaultAction",    read_by_parse_seccomp},
        {"defaultErrnoRet",  read_by_parse_seccomp},
        {"architectures",    parse_arches         },
        {"flags",            parse_flags          },
        {"syscalls",         parse_syscalls       },
        {"listenerPath",     NULL                 },
        {"listenerMetadata", NULL                 },
        {NULL,               NULL                 },
    };
    json_object *action, *errno_ret;
    char sub[256];

    if (want_type(v, json_type_object, path, err) < 0)
        return -1;
    if (!json_object_object_get_ex(v, "defaultErrnoRet", &errno_ret))
        errno_ret = NULL;
    if (!json_object_object_get_ex(v, "defaultAction", &action) || action == NULL)
        return runt_fail(err, 0, "config.json: %s.defaultAction: missing", path);
    child_path(sub, sizeof(sub), path, "defaultAction");
    if (parse_action(action, errno_ret, sub, &b->seccomp.default_action, err) < 0)
        return -1;
    b->cfg.seccomp = &b->seccomp;
    return parse_fields(v, path, fields, b, err);
}

/* ---- the other way: a profile as OCI JSON, for `runt spec` ---- */

static void add_action(json_object *o, const char *key, const char *errno_key, uint32_t action)
{
    const char *name = name_of(actions, ARRAY_SIZE(actions), action);

    if ((action & ~DATA_MASK) == ERRNO_BASE || (action & ~DATA_MASK) == TRACE_BASE) {
        name = (action & ~DATA_MASK) == ERRNO_BASE ? "SCMP_ACT_ERRNO" : "SCMP_ACT_TRACE";
        json_object_object_add(o, errno_key, json_object_new_int64(action & DATA_MASK));
    }
    json_object_object_add(o, key, json_object_new_string(name));
}

static json_object *rule_to_json(const struct seccomp_rule *r)
{
    json_object *o = json_object_new_object(), *names = json_object_new_array();

    for (const char *const *n = r->names; *n != NULL; n++)
        json_object_array_add(names, json_object_new_string(*n));
    json_object_object_add(o, "names", names);
    add_action(o, "action", "errnoRet", r->action);
    if (r->n_args > 0) {
        json_object *args = json_object_new_array();

        for (size_t i = 0; i < r->n_args; i++) {
            json_object *a = json_object_new_object();

            json_object_object_add(a, "index", json_object_new_int64(r->args[i].index));
            json_object_object_add(a, "value", json_object_new_uint64(r->args[i].value));
            if (r->args[i].op == SCMP_CMP_MASKED_EQ)
                json_object_object_add(a, "valueTwo", json_object_new_uint64(r->args[i].value_two));
            json_object_object_add(
                a, "op",
                json_object_new_string(name_of(operators, ARRAY_SIZE(operators), r->args[i].op)));
            json_object_array_add(args, a);
        }
        json_object_object_add(o, "args", args);
    }
    return o;
}

/*
 * The profile as a container that keeps the capabilities `caps` gets it: a
 * rule that depends on a capability (like Docker's "includes") is written
 * out only if it applies. OCI profiles have no such conditions.
 */
json_object *seccomp_to_json(const struct seccomp_profile *p, uint64_t caps)
{
    json_object *o = json_object_new_object(), *archs = json_object_new_array();
    json_object *syscalls = json_object_new_array();

    add_action(o, "defaultAction", "defaultErrnoRet", p->default_action);
    json_object_array_add(
        archs, json_object_new_string(name_of(arches, ARRAY_SIZE(arches), seccomp_arch_native())));
    for (size_t i = 0; i < p->n_arches; i++)
        json_object_array_add(
            archs, json_object_new_string(name_of(arches, ARRAY_SIZE(arches), p->arches[i])));
    json_object_object_add(o, "architectures", archs);
    for (size_t i = 0; i < p->n_rules; i++)
        if (seccomp_rule_applies(&p->rules[i], caps))
            json_object_array_add(syscalls, rule_to_json(&p->rules[i]));
    json_object_object_add(o, "syscalls", syscalls);
    return o;
}

/* For `runt features`: what runt's seccomp support knows. */
json_object *seccomp_features(void)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();

    json_object_object_add(o, "enabled", json_object_new_boolean(true));
    json_object_array_add(list, json_object_new_string("SCMP_ACT_ERRNO"));
    json_object_array_add(list, json_object_new_string("SCMP_ACT_TRACE"));
    for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
        json_object_array_add(list, json_object_new_string(actions[i].name));
    json_object_object_add(o, "actions", list);
    list = json_object_new_array();
    for (size_t i = 0; i < ARRAY_SIZE(operators); i++)
        json_object_array_add(list, json_object_new_string(operators[i].name));
    json_object_object_add(o, "operators", list);
    list = json_object_new_array();
    for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
        json_object_array_add(list, json_object_new_string(arches[i].name));
    json_object_object_add(o, "archs", list);
    return o;
}
