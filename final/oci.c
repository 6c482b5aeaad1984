/*
 * runt (final): the OCI commands that make a container: create, and run
 * with a bundle (create, start and wait in one process).
 *
 *   create  config.json -> struct config; container_create() as for runt
 *           run, but without PR_SET_PDEATHSIG: runt exits while the init
 *           waits on exec.fifo, a child of the caller (conmon, the shim),
 *           with the caller's fds 0, 1 and 2. The pty master goes to the
 *           console socket, the init's pid to the pid file, config.json to
 *           the state directory (exec reads its seccomp profile there).
 *   start   control.c: open exec.fifo, as container_start() does for run.
 */
#include "oci.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct oci_options {
    const char *bundle, *pid_file, *console_socket, *id;
    bool detach;
};

/* runc's ids: letters, digits and _ + - . ; they name a directory, so never "." or "..". */
int valid_id(const char *id, struct runt_err *err)
{
    size_t len = strlen(id);

    if (len == 0 || len > RUNT_ID_MAX || id[0] == '.' ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != len)
        return runt_fail(err, 0,
                         "'%s' is not a container id (1 to %d letters, digits, '_+-.', not "
                         "starting with '.')",
                         id, RUNT_ID_MAX);
    return 0;
}

/*
 * `runt run` is runc's when it has one of runc's options before its first
 * word, or is `runt run ID` alone in a bundle (./config.json). Otherwise it
 * is runt's own `runt run IMAGE COMMAND`.
 */
bool is_oci_run(int argc, char **argv)
{
    static const char *const oci_options[] = {"--bundle", "-b",         "--detach",
                                              "-d",       "--pid-file", "--console-socket"};

    if (argc == 2 && strchr(argv[1], '/') == NULL && access("config.json", F_OK) == 0)
        return true;
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        for (size_t o = 0; o < ARRAY_SIZE(oci_options); o++) {
            size_t len = strlen(oci_options[o]);

            if (strncmp(argv[i], oci_options[o], len) == 0 &&
                (argv[i][len] == '\0' || argv[i][len] == '='))
                return true;
        }
    }
    return false;
}

static int parse_oci_options(int argc, char **argv, bool run, struct oci_options *o,
                             struct runt_err *err)
{
    static const struct option longopts[] = {
        {"bundle",         required_argument, NULL, 'b'},
        {"pid-file",       required_argument, NULL, 'p'},
        {"console-socket", required_argument, NULL, 'c'},
        {"detach",         no_argument,       NULL, 'd'},
        {NULL,             0,                 NULL, 0  },
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, run ? "+:b:d" : "+:b:", longopts, NULL)) != -1) {
        if (c == 'b')
            o->bundle = optarg;
        else if (c == 'p')
            o->pid_file = optarg;
        else if (c == 'c')
            o->console_socket = optarg;
        else if (c == 'd' && run)
            o->detach = true;
        else
            return option_error(c, argv, err);
    }
    if (optind != argc - 1)
        return runt_fail(err, 0, "usage: runt %s [--bundle DIR] ... ID (try: runt --help)",
                         argv[0]);
    o->id = argv[optind];
    return valid_id(o->id, err);
}

/* The bundle, read into b->cfg, for a container that outlives runt (create, run -d) or not. */
static int load_bundle(const struct oci_options *o, bool outlives_runt, struct bundle *b,
                       struct runt_err *err)
{
    struct config *cfg = &b->cfg;

    if (bundle_load(o->bundle != NULL ? o->bundle : ".", b, err) < 0 ||
        state_root_of(NULL, &cfg->state_root, err) < 0)
        return -1;
    cfg->id = o->id;
    cfg->kill_with_parent = !outlives_runt;
    if (cfg->process.terminal && o->console_socket == NULL && outlives_runt)
        return runt_fail(err, 0,
                         "process.terminal is true: --console-socket must say where the pty "
                         "goes, as runt does not stay to relay it");
    if (!cfg->process.terminal && o->console_socket != NULL)
        return runt_fail(err, 0, "--console-socket: process.terminal is false");
    return 0;
}

/* The config as it was at create: exec takes the container's seccomp profile from it. */
static int save_config(const struct container *c, const struct bundle *b, struct runt_err *err)
{
    char path[PATH_MAX];

    if (join_path(path, c->dir, "config.json", err) < 0)
        return -1;
    if (json_object_to_file_ext(path, b->json,
                                JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
        return runt_fail(err, 0, "write %s: %s", path, json_util_get_last_err());
    return 0;
}

/* After create: what the caller gets (config saved, the pty, the pid). */
static int hand_over(struct container *c, const struct bundle *b, const struct oci_options *o,
                     struct runt_err *err)
{
    if (save_config(c, b, err) < 0)
        return -1;
    if (o->console_socket != NULL) {
        if (send_console(o->console_socket, c->tty_master, err) < 0)
            return -1;
        /* The client has the terminal now: runt run must not relay it too. */
        close(c->tty_master);
        c->tty_master = -1;
    }
    if (o->pid_file != NULL && write_pid_file(o->pid_file, c->pid, err) < 0)
        return -1;
    return 0;
}

int cmd_create(int argc, char **argv)
{
    struct oci_options o = {0};
    struct container c;
    struct bundle b;
    struct runt_err err;

    memset(&b, 0, sizeof(b));
    if (parse_oci_options(argc, argv, false, &o, &err) < 0 || load_bundle(&o, true, &b, &err) < 0) {
        bundle_free(&b);
        return fail_command(&err);
    }
    signal(SIGPIPE, SIG_IGN);
    container_init(&c, &b.cfg);
    if (container_create(&c, &err) < 0 || hand_over(&c, &b, &o, &err) < 0) {
        fail_command(&err);
        container_destroy(&c);
        bundle_free(&b);
        return EXIT_RUNT_FAILED;
    }
    /* Not container_destroy(): the container is meant to outlive runt. */
    say("created %s: the init (pid %d) waits for `runt start`", c.id, (int)c.pid);
    bundle_free(&b);
    return 0;
}

/* runt run --bundle DIR [-d] ID: create, start, and (without -d) wait and delete. */
int cmd_oci_run(int argc, char **argv)
{
    struct oci_options o = {0};
    struct container c;
    struct bundle b;
    struct runt_err err;
    int exit_code = EXIT_RUNT_FAILED;

    memset(&b, 0, sizeof(b));
    if (parse_oci_options(argc, argv, true, &o, &err) < 0 ||
        load_bundle(&o, o.detach, &b, &err) < 0) {
        bundle_free(&b);
        return fail_command(&err);
    }
    signal(SIGPIPE, SIG_IGN);
    container_init(&c, &b.cfg);
    if (install_signal_forwarding(&err) < 0 || container_create(&c, &err) < 0 ||
        hand_over(&c, &b, &o, &err) < 0 || container_start(&c, &err) < 0 ||
        state_save(&c, "running", &err) < 0) {
        fail_command(&err);
        container_destroy(&c);
        bundle_free(&b);
        return EXIT_RUNT_FAILED;
    }
    if (o.detach) {
        bundle_free(&b);
        return 0;
    }
    if (container_wait(&c, &exit_code, &err) < 0)
        fail_command(&err);
    container_destroy(&c);
    bundle_free(&b);
    return exit_code;
}
