/*
 * runt (final): the commands that act on a container that exists, from its
 * state: list, kill, ps, and the OCI lifecycle's start, state and delete.
 *
 * Each reads <state root>/containers/<id>/state.json, and asks the process
 * itself how it is (state_live_status): the state file says what the
 * container was, the init's pid and start time say what it is now.
 */
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

/* [--root DIR] plus the command's own flags (`flags`: the letters of its short options). */
static int parse_command(int argc, char **argv, const char *flags, const struct option *extra,
                         int (*apply)(int c, void *arg), void *arg, const char **root,
                         struct runt_err *err)
{
    struct option longopts[8] = {
        {"root", required_argument, NULL, 'R'},
    };
    char optstring[16];
    const char *flag = NULL;
    int c;

    for (size_t i = 0; extra != NULL && extra[i].name != NULL && i < 6; i++)
        longopts[i + 1] = extra[i];
    snprintf(optstring, sizeof(optstring), "+:%s", flags);
    opterr = 0;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        if (c == 'R')
            flag = optarg;
        else if (c == '?' || c == ':' || apply == NULL || apply(c, arg) < 0)
            return option_error(c, argv, err);
    }
    return state_root_of(flag, root, err);
}

/* The one ID a command takes, and nothing after it. */
static int one_id(int argc, char **argv, const char *usage, const char **id, struct runt_err *err)
{
    if (optind != argc - 1)
        return runt_fail(err, 0, "usage: %s", usage);
    *id = argv[optind];
    return 0;
}

int cmd_list(int argc, char **argv)
{
    struct runt_err err;
    const char *root = NULL;
    char path[PATH_MAX];
    struct dirent *e;
    DIR *d;

    if (parse_command(argc, argv, "", NULL, NULL, NULL, &root, &err) < 0)
        return fail_command(&err);
    if (optind != argc) {
        runt_fail(&err, 0, "list takes no arguments (try: runt --help)");
        return fail_command(&err);
    }
    snprintf(path, sizeof(path), "%s/containers", root);
    d = opendir(path);
    if (d == NULL && errno != ENOENT) {
        runt_fail(&err, errno, "open %s", path);
        return fail_command(&err);
    }
    printf("%-14s %-8s %-8s %-20s %s\n", "ID", "PID", "STATUS", "CREATED", "COMMAND");
    while (d != NULL && (e = readdir(d)) != NULL) {
        struct state st;
        char when[32] = "-";
        time_t t;

        if (e->d_name[0] == '.' || state_load(root, e->d_name, &st, &err) < 0)
            continue;
        t = (time_t)st.created;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
        printf("%-14s %-8d %-8s %-20s %s\n", st.id, (int)st.pid, state_live_status(&st), when,
               st.command);
        state_free(&st);
    }
    if (d != NULL)
        closedir(d);
    return 0;
}

/* "TERM", "SIGTERM", "15" -> 15. */
static int parse_signal(const char *arg, int *sig, struct runt_err *err)
{
    const char *name = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
    char *end;
    long n;

    if (arg[0] >= '0' && arg[0] <= '9') {
        n = strtol(arg, &end, 10);
        if (*end == '\0' && n > 0 && n <= SIGRTMAX) {
            *sig = (int)n;
            return 0;
        }
    }
    for (int s = 1; s < NSIG; s++) {
        const char *abbrev = sigabbrev_np(s);

        if (abbrev != NULL && strcasecmp(abbrev, name) == 0) {
            *sig = s;
            return 0;
        }
    }
    return runt_fail(err, 0, "kill: '%s' is not a signal (try TERM, KILL or 9)", arg);
}

/*
 * kill --all: every process of the container's cgroup, not only its init
 * (which, as PID 1 of a PID namespace, takes the others with it only when it
 * dies). Between reading cgroup.procs and kill(2) a process may exit and its
 * pid be reused; runc freezes the cgroup first to close that window.
 */
static int kill_all(const struct state *st, int sig, struct runt_err *err)
{
    char path[PATH_MAX];
    FILE *f;
    int pid;

    if (st->cgroups.count == 0 || join_path(path, st->cgroups.dirs[0], "cgroup.procs", err) < 0)
        return st->cgroups.count == 0 ? 0 : -1;
    f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : runt_fail(err, errno, "open %s", path);
    while (fscanf(f, "%d", &pid) == 1)
        if (kill(pid, sig) < 0 && errno != ESRCH)
            say("kill %d: %s", pid, strerror(errno));
    fclose(f);
    return 0;
}

static int set_flag(int c, void *arg)
{
    (void)c;
    *(bool *)arg = true;
    return 0;
}

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {NULL,  0,           NULL, 0  },
    };
    struct runt_err err;
    struct state st;
    const char *root = NULL;
    bool all = false;
    int sig = SIGTERM, fd, rc = 0;

    if (parse_command(argc, argv, "a", opts, set_flag, &all, &root, &err) < 0)
        return fail_command(&err);
    if (optind >= argc || argc - optind > 2) {
        runt_fail(&err, 0, "usage: runt kill [--all] ID [SIGNAL]");
        return fail_command(&err);
    }
    if ((argc - optind == 2 && parse_signal(argv[optind + 1], &sig, &err) < 0) ||
        state_load(root, argv[optind], &st, &err) < 0)
        return fail_command(&err);
    if (all) {
        rc = kill_all(&st, sig, &err);
        state_free(&st);
        return rc < 0 ? fail_command(&err) : 0;
    }
    fd = open_checked_pidfd(&st, &err);
    if (fd >= 0 && pidfd_send_signal(fd, sig, NULL, 0) < 0)
        rc = runt_fail(&err, errno, "kill %s", st.id);
    if (fd >= 0)
        close(fd);
    state_free(&st);
    return fd < 0 || rc < 0 ? fail_command(&err) : 0;
}

static int set_string(int c, void *arg)
{
    (void)c;
    *(const char **)arg = optarg;
    return 0;
}

/* The container's processes as JSON ([1234, 1240]: `ctr task ps` asks so) or a table. */
static void print_pids(FILE *procs, bool json)
{
    const char *sep = "";
    int pid;

    fputs(json ? "[" : "PID\n", stdout);
    while (procs != NULL && fscanf(procs, "%d", &pid) == 1) {
        printf(json ? "%s%d" : "%.0s%d\n", sep, pid);
        sep = ",";
    }
    fputs(json ? "]\n" : "", stdout);
}

/* runt ps [--format table|json] ID: the host pids in the container's cgroup. */
int cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {NULL,     0,                 NULL, 0  },
    };
    struct runt_err err;
    struct state st;
    const char *root = NULL, *id = NULL, *format = "table";
    char path[PATH_MAX] = "";
    FILE *procs = NULL;

    if (parse_command(argc, argv, "f:", opts, set_string, &format, &root, &err) < 0 ||
        one_id(argc, argv, "runt ps [--format table|json] ID", &id, &err) < 0)
        return fail_command(&err);
    if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0) {
        runt_fail(&err, 0, "ps --format: '%s' is not table or json", format);
        return fail_command(&err);
    }
    if (state_load(root, id, &st, &err) < 0 ||
        (st.cgroups.count > 0 && join_path(path, st.cgroups.dirs[0], "cgroup.procs", &err) < 0)) {
        state_free(&st);
        return fail_command(&err);
    }
    state_free(&st);
    /* No cgroup (any more): no processes. */
    if (path[0] != '\0' && (procs = fopen(path, "re")) == NULL && errno != ENOENT) {
        runt_fail(&err, errno, "open %s", path);
        return fail_command(&err);
    }
    print_pids(procs, strcmp(format, "json") == 0);
    if (procs != NULL)
        fclose(procs);
    return 0;
}

/* runt start ID: let a created container's init go on to execve (run.c's container_start). */
int cmd_start(int argc, char **argv)
{
    static struct config none;
    struct container c;
    struct runt_err err;
    struct state st;
    const char *root = NULL, *id = NULL, *status;
    int rc;

    if (parse_command(argc, argv, "", NULL, NULL, NULL, &root, &err) < 0 ||
        one_id(argc, argv, "runt start ID", &id, &err) < 0 || state_load(root, id, &st, &err) < 0)
        return fail_command(&err);
    status = state_live_status(&st);
    container_init(&c, &none);
    snprintf(c.fifo, sizeof(c.fifo), "%s", st.fifo);
    c.pid = st.pid;
    c.start_time = st.start_time;
    state_free(&st);
    if (strcmp(status, "created") != 0) {
        runt_fail(&err, 0, "container %s is %s: start runs a created container, once", id, status);
        return fail_command(&err);
    }
    rc = container_start(&c, &err);
    return rc < 0 ? fail_command(&err) : 0;
}

/* The container's annotations, from the config.json saved at create; {} for runt run's. */
static json_object *saved_annotations(const struct state *st)
{
    char path[PATH_MAX + 16];
    json_object *config, *annotations = NULL;

    snprintf(path, sizeof(path), "%s/config.json", st->dir);
    config = access(path, F_OK) == 0 ? json_object_from_file(path) : NULL;
    if (config != NULL && json_object_object_get_ex(config, "annotations", &annotations))
        json_object_get(annotations);
    if (config != NULL)
        json_object_put(config);
    return annotations != NULL ? annotations : json_object_new_object();
}

/* runt state ID: the OCI state of the container, as JSON on stdout. */
int cmd_state(int argc, char **argv)
{
    struct runt_err err;
    struct state st;
    const char *root = NULL, *id = NULL, *status;
    json_object *o;
    char created[32];
    time_t t;

    if (parse_command(argc, argv, "", NULL, NULL, NULL, &root, &err) < 0 ||
        one_id(argc, argv, "runt state ID", &id, &err) < 0 || state_load(root, id, &st, &err) < 0)
        return fail_command(&err);
    status = state_live_status(&st);
    t = (time_t)st.created;
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    o = json_object_new_object();
    json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(st.id));
    json_object_object_add(o, "status", json_object_new_string(status));
    /* A stopped container's pid may belong to another process by now. */
    json_object_object_add(o, "pid", json_object_new_int(strcmp(status, "stopped") ? st.pid : 0));
    json_object_object_add(o, "bundle", json_object_new_string(st.bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(st.rootfs));
    json_object_object_add(o, "created", json_object_new_string(created));
    json_object_object_add(o, "annotations", saved_annotations(&st));
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    state_free(&st);
    return 0;
}

/*
 * SIGKILL through a pidfd, then wait for the exit: poll(2) on a pidfd says
 * when the process has exited, even when it is not our child (pidfd_open(2)).
 */
static int kill_and_wait(const struct state *st, struct runt_err *err)
{
    struct pollfd pfd = {.events = POLLIN};

    pfd.fd = open_checked_pidfd(st, err);
    if (pfd.fd < 0)
        return 0; /* it is gone already */
    say("kill -KILL %d and wait for it", (int)st->pid);
    if (pidfd_send_signal(pfd.fd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
        runt_fail(err, errno, "kill %s", st->id);
        close(pfd.fd);
        return -1;
    }
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    close(pfd.fd);
    return 0;
}

/*
 * runt delete [--force] ID: kill what is left (with --force, or a container
 * that never started), then the one teardown: cgroups, state directory.
 */
int cmd_delete(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {NULL,    0,           NULL, 0  },
    };
    static struct config none;
    struct container c;
    struct runt_err err;
    struct state st;
    const char *root = NULL, *id = NULL, *status;
    char path[PATH_MAX * 2];
    bool force = false;

    if (parse_command(argc, argv, "f", opts, set_flag, &force, &root, &err) < 0 ||
        one_id(argc, argv, "runt delete [--force] ID", &id, &err) < 0 || valid_id(id, &err) < 0)
        return fail_command(&err);
    /* --force on a container that does not exist: nothing to do, as runc answers. */
    snprintf(path, sizeof(path), "%s/containers/%s/state.json", root, id);
    if (force && access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    if (state_load(root, id, &st, &err) < 0)
        return fail_command(&err);
    status = state_live_status(&st);
    if (strcmp(status, "running") == 0 && !force) {
        runt_fail(&err, 0, "container %s is running: stop it first, or delete --force", id);
        state_free(&st);
        return fail_command(&err);
    }
    if (strcmp(status, "stopped") != 0 && kill_and_wait(&st, &err) < 0) {
        state_free(&st);
        return fail_command(&err);
    }
    container_init(&c, &none);
    c.cgroups = st.cgroups;
    snprintf(c.dir, sizeof(c.dir), "%s", st.dir);
    snprintf(c.id, sizeof(c.id), "%s", st.id);
    c.dir_created = true;
    state_free(&st);
    container_destroy(&c);
    return 0;
}
