/*
 * runt (final): the command line. `runt run IMAGE CMD` turns its options
 * into a struct config and hands it to the lifecycle in run.c; list, kill
 * and exec read a container's state. runc's command line, which podman and
 * containerd speak, is the second front door (oci.c, control.c): a bundle's
 * config.json fills the same struct config.
 */
#include "oci.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: runt run [OPTIONS] <image-dir> <command> [args...]\n"
          "       runt list | kill ID [SIGNAL] | exec [-t] ID <command> [args...]\n"
          "       runt --help | --version\n"
          "\n"
          "runc's command line, for an OCI bundle (see final/OCI.md):\n"
          "  runt spec [--bundle DIR]             write a default config.json\n"
          "  runt create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] ID\n"
          "  runt start ID | state ID | delete [--force] ID | kill [--all] ID [SIGNAL]\n"
          "  runt ps [--format table|json] ID     the host pids in its cgroup\n"
          "  runt run --bundle DIR [-d] [--pid-file FILE] [--console-socket SOCKET] ID\n"
          "  runt exec [--process FILE | ID <command>...] [--detach] [--pid-file FILE]\n"
          "            [-t --console-socket SOCKET] [--cwd DIR] [-e K=V] [-u UID[:GID]] ID\n"
          "  runt features | --version | --help\n"
          "\n"
          "global options, before the command:\n"
          "  --root DIR            state root (default: $RUNT_ROOT, else /var/lib/runt)\n"
          "  --log FILE            errors to FILE too; --log-format json|text\n"
          "  --debug               narrate each step (stderr, and the log)\n"
          "  --systemd-cgroup      refused: runt manages cgroups itself (cgroupfs)\n"
          "\n"
          "runt run options:\n"
          "  -v, --verbose         narrate each step on stderr\n"
          "  --hostname NAME       the container's hostname (default: its id)\n"
          "  --root DIR            state root (default: $RUNT_ROOT, else /var/lib/runt)\n"
          "  --keep                keep the container's directory (its changes) after exit\n"
          "  --memory SIZE         memory limit, in bytes or with a K, M or G suffix\n"
          "  --pids N              at most N tasks (processes and threads)\n"
          "  --cpus FRACTION       CPU time limit in CPUs, e.g. 0.5\n"
          "  --cap-add CAP         keep capability CAP too (e.g. NET_ADMIN, or ALL)\n"
          "  --cap-drop CAP        drop capability CAP (e.g. CHOWN, or ALL)\n"
          "  -e, --env K=V         set an environment variable (K alone: the caller's value)\n"
          "  -w, --workdir DIR     the command's working directory\n"
          "  -u, --user UID[:GID]  run as this user (numeric ids)\n"
          "  --read-only           mount the container's root read-only\n"
          "  -v, --volume H:C[:ro] bind-mount host path H on C (a word with ':' after -v)\n"
          "  -t, --tty             give the command a terminal\n"
          "  --userns[=HOSTID]     map the container's root to HOSTID (default 100000)\n"
          "  --security-opt apparmor=PROFILE\n"
          "                        confine the command with this AppArmor profile\n"
          "\n"
          "Options end at the image: `runt run IMAGE ls -v` passes -v to ls.\n",
          out);
}

static const struct option run_options[] = {
    {"verbose",      no_argument,       NULL, 'v'},
    {"hostname",     required_argument, NULL, 'H'},
    {"root",         required_argument, NULL, 'R'},
    {"keep",         no_argument,       NULL, 'K'},
    {"memory",       required_argument, NULL, 'm'},
    {"pids",         required_argument, NULL, 'p'},
    {"cpus",         required_argument, NULL, 'c'},
    {"cap-add",      required_argument, NULL, 'A'},
    {"cap-drop",     required_argument, NULL, 'D'},
    {"env",          required_argument, NULL, 'e'},
    {"workdir",      required_argument, NULL, 'w'},
    {"user",         required_argument, NULL, 'u'},
    {"read-only",    no_argument,       NULL, 'r'},
    {"volume",       required_argument, NULL, 'V'},
    {"tty",          no_argument,       NULL, 't'},
    {"userns",       optional_argument, NULL, 'U'},
    {"security-opt", required_argument, NULL, 'S'},
    {"help",         no_argument,       NULL, 'h'},
    {NULL,           0,                 NULL, 0  },
};

/*
 * getopt's error, as one line. optopt holds the offending letter, which in a
 * group like -xv is not what argv[optind - 1] shows; a long option is shown
 * as written, up to any '='.
 */
int option_error(int c, char **argv, struct runt_err *err)
{
    const char *word = argv[optind - 1];
    int len = (int)strcspn(word, "=");

    if (strncmp(word, "--", 2) == 0 || optopt == 0) {
        if (c == ':')
            return runt_fail(err, 0, "option '%.*s' needs a value (try: runt --help)", len, word);
        return runt_fail(err, 0, "unknown option '%.*s' (try: runt --help)", len, word);
    }
    if (c == ':')
        return runt_fail(err, 0, "option '-%c' needs a value (try: runt --help)", optopt);
    return runt_fail(err, 0, "unknown option '-%c' (try: runt --help)", optopt);
}

/*
 * --security-opt apparmor=PROFILE, as docker run takes it. Refused where
 * AppArmor is off: nobody must believe a profile holds when none can.
 */
static int parse_security_opt(const char *opt, struct process_config *p, struct runt_err *err)
{
    const char *key = "apparmor=";

    if (strncmp(opt, key, strlen(key)) != 0)
        return runt_fail(err, 0, "--security-opt: '%s' is not supported (only apparmor=PROFILE)",
                         opt);
    if (opt[strlen(key)] == '\0')
        return runt_fail(err, 0, "--security-opt: apparmor= needs a profile name");
    if (!apparmor_enabled())
        return runt_fail(err, 0, "--security-opt: %s: AppArmor is not enabled on this host", opt);
    p->apparmor_profile = opt + strlen(key);
    return 0;
}

/* One option of `runt run`. */
static int apply_run_option(int c, char **argv, struct config *cfg, struct runt_err *err)
{
    uint64_t mask;

    switch (c) {
    case 'v':
        /* -v followed by a word with ':' is docker's --volume (an image path has no ':'). */
        if (strcmp(argv[optind - 1], "-v") == 0 && argv[optind] != NULL &&
            strchr(argv[optind], ':') != NULL)
            return parse_volume(argv[optind++], cfg, err);
        runt_verbose = true;
        return 0;
    case 'H':
        if (optarg[0] == '\0' || strlen(optarg) > HOST_NAME_MAX)
            return runt_fail(err, 0, "--hostname: '%s' must be 1 to %d characters", optarg,
                             HOST_NAME_MAX);
        cfg->hostname = optarg;
        return 0;
    case 'R':
        /* Empty, it would put the state in /containers, at the host's root. */
        if (optarg[0] == '\0')
            return runt_fail(err, 0, "--root: empty value (try: runt --help)");
        cfg->state_root = optarg;
        return 0;
    case 'K':
        cfg->keep = true;
        return 0;
    case 'm':
        return parse_memory(optarg, &cfg->resources.memory, err);
    case 'p':
        return parse_pids(optarg, &cfg->resources.pids, err);
    case 'c':
        return parse_cpus(optarg, &cfg->resources.cpu_quota_us, err);
    case 'A':
    case 'D':
        if (parse_cap(c == 'A' ? "--cap-add" : "--cap-drop", optarg, &mask, err) < 0)
            return -1;
        cfg->process.caps.bounding =
            c == 'A' ? cfg->process.caps.bounding | mask : cfg->process.caps.bounding & ~mask;
        return 0;
    case 'e':
        return parse_env(optarg, &cfg->process, err);
    case 'w':
        if (optarg[0] != '/')
            return runt_fail(err, 0, "--workdir: '%s' must be absolute", optarg);
        cfg->process.cwd = optarg;
        return 0;
    case 'u':
        return parse_user(optarg, &cfg->process, err);
    case 'r':
        cfg->root_readonly = true;
        return 0;
    case 'V':
        return parse_volume(optarg, cfg, err);
    case 't':
        cfg->process.terminal = true;
        return 0;
    case 'U':
        return parse_userns(optarg, cfg, err);
    case 'S':
        return parse_security_opt(optarg, &cfg->process, err);
    default:
        return option_error(c, argv, err);
    }
}

/* A clean environment, as docker gives: PATH, HOSTNAME, HOME (and TERM with -t), then -e. */
static int default_env(struct config *cfg, struct runt_err *err)
{
    char hostname[HOST_NAME_MAX + 16];

    snprintf(hostname, sizeof(hostname), "HOSTNAME=%s", cfg->hostname);
    if (config_add_env(&cfg->process,
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       err) < 0 ||
        config_add_env(&cfg->process, hostname, err) < 0 ||
        config_add_env(&cfg->process, cfg->process.uid == 0 ? "HOME=/root" : "HOME=/", err) < 0)
        return -1;
    if (cfg->process.terminal && config_add_env(&cfg->process, "TERM=xterm", err) < 0)
        return -1;
    return 0;
}

/*
 * For a user other than root: no capabilities in effect nor permitted, as
 * under Docker; the bounding set stays, so a setuid-root program could not
 * exceed it (and no_new_privs keeps even that from happening).
 */
static void settle_capabilities(struct process_config *p)
{
    p->caps.effective = p->caps.permitted = p->uid == 0 ? p->caps.bounding : 0;
}

static int parse_run_args(int argc, char **argv, struct config *cfg, struct runt_err *err)
{
    const char *env_args[RUNT_MAX_ENV];
    size_t n_env_args = 0;
    int c;

    /* Options end at the first non-option (the leading '+'): the image. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:vhe:w:u:t", run_options, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        /* -e comes after the defaults, which need --hostname and --user: later. */
        if (c == 'e' && n_env_args < RUNT_MAX_ENV) {
            env_args[n_env_args++] = optarg;
            continue;
        }
        if (apply_run_option(c, argv, cfg, err) < 0)
            return -1;
    }
    if (optind >= argc)
        return runt_fail(err, 0, "run: no image directory given (try: runt --help)");
    if (argv[optind][0] == '\0')
        return runt_fail(err, 0, "rootfs: empty path (try: runt --help)");
    if (optind + 1 >= argc)
        return runt_fail(err, 0, "run: no command given (try: runt --help)");
    cfg->image = argv[optind];
    cfg->process.args = argv + optind + 1;
    settle_capabilities(&cfg->process);
    if (default_env(cfg, err) < 0)
        return -1;
    for (size_t i = 0; i < n_env_args; i++)
        if (parse_env(env_args[i], &cfg->process, err) < 0)
            return -1;
    return 0;
}

int run_command(int argc, char **argv)
{
    static char id[RUNT_ID_MAX + 1];
    struct config cfg;
    struct container c;
    struct runt_err err;
    char line[1200];
    int exit_code = EXIT_RUNT_FAILED;

    config_init_defaults(&cfg);
    cfg.seccomp = &runt_default_seccomp;
    if (new_container_id(id, &err) < 0)
        goto fail;
    cfg.id = id;
    cfg.hostname = id;
    if (parse_run_args(argc, argv, &cfg, &err) < 0 ||
        state_root_of(cfg.state_root, &cfg.state_root, &err) < 0)
        goto fail;
    /*
     * A closed stderr (runt -v ... | head) must not kill runt before it has
     * cleaned up: with SIGPIPE ignored, a write there fails with EPIPE instead.
     */
    signal(SIGPIPE, SIG_IGN);
    container_init(&c, &cfg);
    if (install_signal_forwarding(&err) < 0 || container_create(&c, &err) < 0 ||
        container_start(&c, &err) < 0 || state_save(&c, "running", &err) < 0 ||
        container_wait(&c, &exit_code, &err) < 0) {
        runt_print("%s", runt_err_str(&err, line, sizeof(line)));
        say("runt failed (not the command): exit %d", exit_code);
    }
    container_destroy(&c);
    config_free(&cfg);
    return exit_code;
fail:
    runt_print("%s", runt_err_str(&err, line, sizeof(line)));
    config_free(&cfg);
    return EXIT_RUNT_FAILED;
}

static void print_version(void)
{
    const struct scmp_version *v = seccomp_version();

    printf("runt version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", RUNT_VERSION, OCI_VERSION, v->major,
           v->minor, v->micro);
}

/* The value of a global option, "--root DIR" or "--root=DIR". */
static const char *global_value(char **argv, int *i, const char *name)
{
    size_t len = strlen(name);

    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] == '\0' && argv[*i + 1] != NULL)
        return argv[++*i];
    return NULL;
}

/* runc's global options, which its clients put before the command. The index of the command. */
static int parse_global_options(int argc, char **argv, struct runt_err *err)
{
    const char *log = NULL, *format = NULL;
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *v;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
            print_version();
            exit(0);
        } else if (strcmp(argv[i], "--debug") == 0) {
            runt_verbose = true;
        } else if (strcmp(argv[i], "--systemd-cgroup") == 0) {
            return runt_fail(err, 0,
                             "--systemd-cgroup: runt creates cgroups itself, through cgroupfs, "
                             "not through systemd (podman: --cgroup-manager cgroupfs)");
        } else if ((v = global_value(argv, &i, "--root")) != NULL) {
            runt_global_root = v;
        } else if ((v = global_value(argv, &i, "--log-format")) != NULL) {
            format = v;
        } else if ((v = global_value(argv, &i, "--log")) != NULL) {
            log = v;
        } else {
            return runt_fail(err, 0, "unknown global option '%.*s' (try: runt --help)",
                             (int)strcspn(argv[i], "="), argv[i]);
        }
    }
    if (runt_global_root != NULL && runt_global_root[0] == '\0')
        return runt_fail(err, 0, "--root: empty value (try: runt --help)");
    if (runt_log_open(log, format, err) < 0)
        return -1;
    if (i == argc)
        return runt_fail(err, 0, "no command (try: runt --help)");
    return i;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"list",     cmd_list    },
    {"kill",     cmd_kill    },
    {"ps",       cmd_ps      },
    {"exec",     cmd_exec    },
    {"spec",     cmd_spec    },
    {"create",   cmd_create  },
    {"start",    cmd_start   },
    {"state",    cmd_state   },
    {"delete",   cmd_delete  },
    {"features", cmd_features},
};

int main(int argc, char **argv)
{
    struct runt_err err;
    int i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_RUNT_FAILED;
    }
    i = parse_global_options(argc, argv, &err);
    if (i < 0)
        return fail_command(&err);
    /* Each command parses its own options: argv[0] becomes the command's name. */
    if (strcmp(argv[i], "run") == 0)
        return is_oci_run(argc - i, argv + i) ? cmd_oci_run(argc - i, argv + i)
                                              : run_command(argc - i, argv + i);
    for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(argc - i, argv + i);
    runt_print("unknown command '%s' (try: runt --help)", argv[i]);
    return EXIT_RUNT_FAILED;
}
