/*
 * runt (final): `runt spec`, a config.json made of runt's own defaults (the
 * ones `runt run` starts from: config.c, and the seccomp allowlist of
 * seccomp.c), and `runt features`, what this runt supports, as JSON.
 */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <unistd.h>

static void add(json_object *o, const char *key, json_object *value)
{
    json_object_object_add(o, key, value);
}

static json_object *string_array(const char *const *list, size_t n)
{
    json_object *a = json_object_new_array();

    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(list[i]));
    return a;
}

/* A mask of capabilities as OCI names them: CAP_CHOWN, ... */
static json_object *cap_names(uint64_t mask)
{
    json_object *a = json_object_new_array();

    for (cap_value_t cap = 0; cap < 64; cap++) {
        char *name, upper[64];

        if (!(mask & (1ULL << cap)) || (name = cap_to_name(cap)) == NULL)
            continue;
        for (size_t i = 0; i < sizeof(upper); i++) {
            upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
            if (name[i] == '\0')
                break;
        }
        upper[sizeof(upper) - 1] = '\0';
        json_object_array_add(a, json_object_new_string(upper));
        cap_free(name);
    }
    return a;
}

static json_object *process_json(const struct process_config *p)
{
    static const char *const args[] = {"sh"};
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
    json_object *o = json_object_new_object(), *user = json_object_new_object();
    json_object *caps = json_object_new_object(), *rlimit = json_object_new_object();
    json_object *rlimits = json_object_new_array();

    add(o, "terminal", json_object_new_boolean(true));
    add(user, "uid", json_object_new_int(0));
    add(user, "gid", json_object_new_int(0));
    add(o, "user", user);
    add(o, "args", string_array(args, ARRAY_SIZE(args)));
    add(o, "env", string_array(env, ARRAY_SIZE(env)));
    add(o, "cwd", json_object_new_string(p->cwd));
    add(caps, "bounding", cap_names(p->caps.bounding));
    add(caps, "effective", cap_names(p->caps.effective));
    add(caps, "permitted", cap_names(p->caps.permitted));
    add(o, "capabilities", caps);
    add(rlimit, "type", json_object_new_string("RLIMIT_NOFILE"));
    add(rlimit, "hard", json_object_new_int(1024));
    add(rlimit, "soft", json_object_new_int(1024));
    json_object_array_add(rlimits, rlimit);
    add(o, "rlimits", rlimits);
    add(o, "noNewPrivileges", json_object_new_boolean(p->no_new_privileges));
    return o;
}

/* runt's default mounts, their flags written as options, then their data. */
static json_object *mounts_json(const struct config *cfg)
{
    static const struct {
        unsigned long flag;
        const char *name;
    } flags[] = {
        {MS_NOSUID, "nosuid"},
        {MS_NOEXEC, "noexec"},
        {MS_NODEV,  "nodev" },
        {MS_RDONLY, "ro"    },
    };
    json_object *a = json_object_new_array();

    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const struct mount_spec *m = &cfg->mounts[i];
        json_object *o = json_object_new_object(), *options = json_object_new_array();
        char data[256];

        add(o, "destination", json_object_new_string(m->destination));
        add(o, "type", json_object_new_string(m->type));
        add(o, "source", json_object_new_string(m->source));
        for (size_t f = 0; f < ARRAY_SIZE(flags); f++)
            if (m->flags & flags[f].flag)
                json_object_array_add(options, json_object_new_string(flags[f].name));
        snprintf(data, sizeof(data), "%s", m->data != NULL ? m->data : "");
        for (char *save = NULL, *opt = strtok_r(data, ",", &save); opt != NULL;
             opt = strtok_r(NULL, ",", &save))
            json_object_array_add(options, json_object_new_string(opt));
        add(o, "options", options);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *linux_json(const struct config *cfg)
{
    static const char *const namespaces[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
    json_object *o = json_object_new_object(), *resources = json_object_new_object();
    json_object *devices = json_object_new_array(), *deny = json_object_new_object();
    json_object *ns = json_object_new_array();

    /* Every device refused but runt's own nodes, which runt always allows (devices.c). */
    add(deny, "allow", json_object_new_boolean(false));
    add(deny, "access", json_object_new_string("rwm"));
    json_object_array_add(devices, deny);
    add(resources, "devices", devices);
    add(o, "resources", resources);
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        json_object *n = json_object_new_object();

        add(n, "type", json_object_new_string(namespaces[i]));
        json_object_array_add(ns, n);
    }
    add(o, "namespaces", ns);
    add(o, "maskedPaths", string_array(cfg->masked_paths, cfg->n_masked));
    add(o, "readonlyPaths", string_array(cfg->readonly_paths, cfg->n_readonly));
    add(o, "seccomp", seccomp_to_json(&runt_default_seccomp, cfg->process.caps.bounding));
    return o;
}

json_object *default_spec(void)
{
    struct config cfg;
    json_object *o = json_object_new_object(), *root = json_object_new_object();

    config_init_defaults(&cfg);
    add(o, "ociVersion", json_object_new_string(OCI_VERSION));
    add(o, "process", process_json(&cfg.process));
    add(root, "path", json_object_new_string("rootfs"));
    add(root, "readonly", json_object_new_boolean(true));
    add(o, "root", root);
    add(o, "hostname", json_object_new_string("runt"));
    add(o, "mounts", mounts_json(&cfg));
    add(o, "linux", linux_json(&cfg));
    config_free(&cfg);
    return o;
}

/* runt spec [--bundle DIR]: DIR/config.json, never over an existing one. */
int cmd_spec(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {NULL,     0,                 NULL, 0  },
    };
    const char *dir = ".";
    char path[PATH_MAX];
    struct runt_err err;
    json_object *spec;
    const char *text;
    int c, fd;
    ssize_t n;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:b:", longopts, NULL)) != -1) {
        if (c != 'b') {
            option_error(c, argv, &err);
            return fail_command(&err);
        }
        dir = optarg;
    }
    if (optind != argc) {
        runt_fail(&err, 0, "usage: runt spec [--bundle DIR]");
        return fail_command(&err);
    }
    if (join_path(path, dir, "config.json", &err) < 0)
        return fail_command(&err);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        runt_fail(&err, errno, "%s%s", path, errno == EEXIST ? " (remove it first)" : "");
        return fail_command(&err);
    }
    spec = default_spec();
    text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    n = write(fd, text, strlen(text));
    if (n != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 || close(fd) < 0) {
        runt_fail(&err, errno, "write %s", path);
        unlink(path);
        json_object_put(spec);
        return fail_command(&err);
    }
    json_object_put(spec);
    return 0;
}

/* runt features: what this runt supports, in the shape runc prints (runtime-spec's features). */
int cmd_features(int argc, char **argv)
{
    static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
                                             "pid",    "user", "uts"};
    json_object *o = json_object_new_object(), *lx = json_object_new_object();
    json_object *cgroup = json_object_new_object(), *flag = json_object_new_object();

    (void)argv;
    if (argc > 1) {
        runt_print("features takes no arguments");
        json_object_put(o);
        json_object_put(lx);
        json_object_put(cgroup);
        json_object_put(flag);
        return EXIT_RUNT_FAILED;
    }
    add(o, "ociVersionMin", json_object_new_string("1.0.0"));
    add(o, "ociVersionMax", json_object_new_string(OCI_VERSION));
    add(o, "hooks", json_object_new_array());
    add(o, "mountOptions", mount_option_names());
    add(lx, "namespaces", string_array(namespaces, ARRAY_SIZE(namespaces)));
    add(lx, "capabilities", cap_names(all_caps_mask()));
    add(cgroup, "v1", json_object_new_boolean(true));
    add(cgroup, "v2", json_object_new_boolean(true));
    add(cgroup, "systemd", json_object_new_boolean(false));
    add(cgroup, "systemdUser", json_object_new_boolean(false));
    add(lx, "cgroup", cgroup);
    add(lx, "seccomp", seccomp_features());
    add(flag, "enabled", json_object_new_boolean(true));
    add(lx, "apparmor", flag);
    add(o, "linux", lx);
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return 0;
}
