/*
 * runt (final): a container's state, <state root>/containers/<id>/state.json,
 * which list, kill, exec and the OCI commands read (control.c, exec.c).
 *
 * A pid alone names a process only until it exits and the number is reused.
 * The state records the init's start time too (field 22 of /proc/PID/stat):
 * the same pid with another start time is another process.
 */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_STATE_ROOT "/var/lib/runt"

const char *runt_global_root;

/*
 * The command's --root, else the global one (`runt --root DIR create`, as
 * runc's clients write it), else $RUNT_ROOT, else /var/lib/runt. An empty
 * one is refused by name.
 */
int state_root_of(const char *flag, const char **out, struct runt_err *err)
{
    const char *env = getenv("RUNT_ROOT");

    if (flag == NULL)
        flag = runt_global_root;
    if (flag != NULL && flag[0] == '\0')
        return runt_fail(err, 0, "--root: empty value (try: runt --help)");
    if (flag == NULL && env != NULL && env[0] == '\0')
        return runt_fail(err, 0, "RUNT_ROOT: empty value (unset it, or name a directory)");
    *out = flag != NULL ? flag : env != NULL ? env : DEFAULT_STATE_ROOT;
    return 0;
}

/* Field 22 of /proc/PID/stat, after the ")" that ends the command name; 0 for a zombie. */
int proc_start_time(pid_t pid, unsigned long long *out, struct runt_err *err)
{
    char path[64], buf[1024], state;
    const char *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (f == NULL)
        return runt_fail(err, errno, "open %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    /* After ")": state (field 3), then fields 4..21, then starttime (22). */
    if (p == NULL || sscanf(p + 2,
                            "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                            "%*s %*s %*s %*s %llu",
                            &state, out) != 2)
        return runt_fail(err, 0, "cannot parse %s", path);
    if (state == 'Z' || state == 'X')
        return runt_fail(err, ESRCH, "process %d has exited", (int)pid);
    return 0;
}

static void add_string(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

static void add_int(json_object *o, const char *key, long long value)
{
    json_object_object_add(o, key, json_object_new_int64(value));
}

/* The process, in the shape of an OCI config's "process": what `runt exec` repeats. */
static json_object *process_to_json(const struct process_config *p)
{
    json_object *o = json_object_new_object(), *env = json_object_new_array();
    json_object *user = json_object_new_object(), *gids = json_object_new_array();
    json_object *caps = json_object_new_object();

    for (size_t i = 0; i < p->n_env; i++)
        json_object_array_add(env, json_object_new_string(p->env[i]));
    json_object_object_add(o, "env", env);
    add_string(o, "cwd", p->cwd);
    add_int(user, "uid", p->uid);
    add_int(user, "gid", p->gid);
    for (size_t i = 0; i < p->n_gids; i++)
        json_object_array_add(gids, json_object_new_int64(p->gids[i]));
    json_object_object_add(user, "additionalGids", gids);
    json_object_object_add(o, "user", user);
    add_int(caps, "bounding", (long long)p->caps.bounding);
    add_int(caps, "effective", (long long)p->caps.effective);
    add_int(caps, "permitted", (long long)p->caps.permitted);
    add_int(caps, "inheritable", (long long)p->caps.inheritable);
    add_int(caps, "ambient", (long long)p->caps.ambient);
    json_object_object_add(o, "capabilities", caps);
    json_object_object_add(o, "noNewPrivileges", json_object_new_boolean(p->no_new_privileges));
    /* An exec'd process is confined as the container's own command is. */
    if (p->apparmor_profile != NULL)
        add_string(o, "apparmorProfile", p->apparmor_profile);
    return o;
}

/* Written to state.json.tmp, then renamed: a reader never sees half a file. */
int state_save(const struct container *c, const char *status, struct runt_err *err)
{
    json_object *o = json_object_new_object(), *cgroups = json_object_new_array();
    char path[PATH_MAX], tmp[PATH_MAX + 8], command[256] = "";
    int rc = 0;

    for (char **a = c->cfg->process.args; *a != NULL; a++)
        snprintf(command + strlen(command), sizeof(command) - strlen(command), "%s%s",
                 a == c->cfg->process.args ? "" : " ", *a);
    add_string(o, "id", c->id);
    add_int(o, "pid", c->pid);
    add_int(o, "start_time", (long long)c->start_time);
    add_int(o, "created", c->created);
    add_string(o, "status", status);
    add_string(o, "rootfs", c->rootfs);
    add_string(o, "bundle", c->cfg->bundle != NULL ? c->cfg->bundle : "");
    add_string(o, "command", command);
    json_object_object_add(o, "userns", json_object_new_boolean(c->cfg->ns[NS_USER].create));
    for (size_t i = 0; i < c->cgroups.count; i++)
        json_object_array_add(cgroups, json_object_new_string(c->cgroups.dirs[i]));
    json_object_object_add(o, "cgroups", cgroups);
    json_object_object_add(o, "cgroup_unified", json_object_new_boolean(c->cgroups.unified));
    json_object_object_add(o, "process", process_to_json(&c->cfg->process));

    if (snprintf(path, sizeof(path), "%s/state.json", c->dir) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        rc = runt_fail(err, ENAMETOOLONG, "%s/state.json", c->dir);
    else if (json_object_to_file_ext(tmp, o,
                                     JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                         JSON_C_TO_STRING_NOSLASHESCAPE) < 0 ||
             rename(tmp, path) < 0)
        rc = runt_fail(err, errno, "write %s", path);
    json_object_put(o);
    return rc;
}

static long long get_int(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    const char *s = json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;

    return s != NULL ? s : "";
}

static int process_from_json(json_object *o, struct process_config *p, struct runt_err *err)
{
    json_object *env, *user, *gids, *caps;

    if (json_object_object_get_ex(o, "env", &env))
        for (size_t i = 0; i < json_object_array_length(env); i++)
            if (config_add_env(p, json_object_get_string(json_object_array_get_idx(env, i)), err) <
                0)
                return -1;
    p->cwd = strdup(get_string(o, "cwd"));
    if (json_object_object_get_ex(o, "user", &user)) {
        p->uid = (uid_t)get_int(user, "uid");
        p->gid = (gid_t)get_int(user, "gid");
        if (json_object_object_get_ex(user, "additionalGids", &gids))
            for (size_t i = 0; i < json_object_array_length(gids) && i < RUNT_MAX_GIDS; i++)
                p->gids[p->n_gids++] =
                    (gid_t)json_object_get_int64(json_object_array_get_idx(gids, i));
    }
    if (json_object_object_get_ex(o, "capabilities", &caps)) {
        p->caps.bounding = (uint64_t)get_int(caps, "bounding");
        p->caps.effective = (uint64_t)get_int(caps, "effective");
        p->caps.permitted = (uint64_t)get_int(caps, "permitted");
        p->caps.inheritable = (uint64_t)get_int(caps, "inheritable");
        p->caps.ambient = (uint64_t)get_int(caps, "ambient");
    }
    p->no_new_privileges =
        json_object_object_get_ex(o, "noNewPrivileges", &user) && json_object_get_boolean(user);
    if (json_object_object_get_ex(o, "apparmorProfile", &user)) {
        p->apparmor_profile = strdup(json_object_get_string(user));
        if (p->apparmor_profile == NULL)
            return runt_fail(err, ENOMEM, "state: apparmorProfile");
    }
    return 0;
}

int state_load(const char *state_root, const char *id, struct state *st, struct runt_err *err)
{
    char path[PATH_MAX];
    json_object *o, *v;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    if (id[0] == '\0' || strchr(id, '/') != NULL || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return runt_fail(err, 0, "'%s' is not a container id", id);
    snprintf(path, sizeof(path), "%s/containers/%s/state.json", state_root, id);
    /* "does not exist": the words podman and containerd look for in a runtime's error. */
    if (access(path, F_OK) < 0)
        return runt_fail(err, 0, "container %s does not exist in %s", id, state_root);
    o = json_object_from_file(path);
    if (o == NULL)
        return runt_fail(err, 0, "cannot read %s", path);
    snprintf(st->id, sizeof(st->id), "%s", get_string(o, "id"));
    snprintf(st->fifo, sizeof(st->fifo), "%s/containers/%s/exec.fifo", state_root, id);
    st->pid = (pid_t)get_int(o, "pid");
    st->start_time = (unsigned long long)get_int(o, "start_time");
    st->created = get_int(o, "created");
    snprintf(st->status, sizeof(st->status), "%s", get_string(o, "status"));
    snprintf(st->rootfs, sizeof(st->rootfs), "%s", get_string(o, "rootfs"));
    snprintf(st->bundle, sizeof(st->bundle), "%s", get_string(o, "bundle"));
    snprintf(st->dir, sizeof(st->dir), "%s/containers/%s", state_root, id);
    snprintf(st->command, sizeof(st->command), "%s", get_string(o, "command"));
    st->userns = json_object_object_get_ex(o, "userns", &v) && json_object_get_boolean(v);
    st->cgroups.unified =
        json_object_object_get_ex(o, "cgroup_unified", &v) && json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "cgroups", &v))
        for (size_t i = 0; i < json_object_array_length(v) && i < CGROUP_MAX; i++)
            snprintf(st->cgroups.dirs[st->cgroups.count++], PATH_MAX, "%s",
                     json_object_get_string(json_object_array_get_idx(v, i)));
    if (json_object_object_get_ex(o, "process", &v))
        rc = process_from_json(v, &st->process, err);
    json_object_put(o);
    return rc;
}

void state_free(struct state *st)
{
    for (size_t i = 0; i < st->process.n_env; i++)
        free(st->process.env[i]);
    st->process.n_env = 0;
    free((char *)st->process.cwd);
    st->process.cwd = NULL;
    free((char *)st->process.apparmor_profile);
    st->process.apparmor_profile = NULL;
}

/*
 * From the process itself, not from what state.json last said: stopped (the
 * init is gone, or its pid is another process's now), created (the init
 * waits on exec.fifo for start) or running.
 */
const char *state_live_status(const struct state *st)
{
    unsigned long long now = 0;
    struct runt_err ignored;

    if (st->pid <= 0 || proc_start_time(st->pid, &now, &ignored) < 0 || now != st->start_time)
        return "stopped";
    return access(st->fifo, F_OK) == 0 ? "created" : "running";
}

/*
 * A pidfd (pidfd_open(2)) names the process itself, not its number: checked
 * once against the recorded start time after opening, it cannot come to mean
 * another process, so pidfd_send_signal(2) can never hit a recycled pid.
 */
int open_checked_pidfd(const struct state *st, struct runt_err *err)
{
    int fd = pidfd_open(st->pid, 0);

    if (fd < 0 && errno != ESRCH)
        return runt_fail(err, errno, "pidfd_open %d", (int)st->pid);
    if (fd < 0 || strcmp(state_live_status(st), "stopped") == 0) {
        if (fd >= 0)
            close(fd);
        /* runc's words, which containerd looks for: the process is gone, not an error. */
        return runt_fail(err, 0, "container not running: %s", st->id);
    }
    return fd;
}
