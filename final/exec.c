/*
 * runt (final): runt exec, a new process in a running container.
 *
 *   runt exec [-t] ID CMD...                 the container's user, env, cwd
 *   runt exec --process FILE [--detach] ID   OCI: a "process" object, as
 *                                            podman's conmon and containerd's
 *                                            shim write it
 *
 * setns(2) on a pidfd joins all of the init's namespaces in one call (Linux
 * 5.8), and a pidfd cannot come to mean another process. The new process
 * then gets what the init had: its cgroup, user, capabilities, no_new_privs,
 * seccomp filter (config.json's, for an OCI container) and fd hygiene. A PID
 * namespace is entered only by children of the caller, so runt forks after
 * setns. With --detach runt leaves once execve(2) has happened; the process
 * is then its caller's (conmon and the shim are subreapers: PR_SET_CHILD_SUBREAPER).
 */
#include "oci.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct exec_options {
    const char *root, *id, *process_file, *pid_file, *console_socket, *cwd, *user;
    const char *env[RUNT_MAX_ENV];
    size_t n_env;
    bool tty, detach;
    char **argv;
};

static int apply_exec_option(int c, struct exec_options *o, struct runt_err *err)
{
    switch (c) {
    case 't':
        o->tty = true;
        return 0;
    case 'v':
        runt_verbose = true;
        return 0;
    case 'd':
        o->detach = true;
        return 0;
    case 'P':
        o->process_file = optarg;
        return 0;
    case 'p':
        o->pid_file = optarg;
        return 0;
    case 'c':
        o->console_socket = optarg;
        return 0;
    case 'w':
        if (optarg[0] != '/')
            return runt_fail(err, 0, "--cwd: '%s' must be absolute", optarg);
        o->cwd = optarg;
        return 0;
    case 'u':
        o->user = optarg;
        return 0;
    case 'e':
        if (o->n_env == RUNT_MAX_ENV)
            return runt_fail(err, 0, "--env: more than %d", RUNT_MAX_ENV);
        o->env[o->n_env++] = optarg;
        return 0;
    default:
        return -1;
    }
}

static int parse_exec_args(int argc, char **argv, struct exec_options *o, struct runt_err *err)
{
    static const struct option longopts[] = {
        {"root",           required_argument, NULL, 'R'},
        {"tty",            no_argument,       NULL, 't'},
        {"verbose",        no_argument,       NULL, 'v'},
        {"detach",         no_argument,       NULL, 'd'},
        {"process",        required_argument, NULL, 'P'},
        {"pid-file",       required_argument, NULL, 'p'},
        {"console-socket", required_argument, NULL, 'c'},
        {"cwd",            required_argument, NULL, 'w'},
        {"user",           required_argument, NULL, 'u'},
        {"env",            required_argument, NULL, 'e'},
        {NULL,             0,                 NULL, 0  },
    };
    const char *root_flag = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:tvde:u:", longopts, NULL)) != -1) {
        if (c == 'R')
            root_flag = optarg;
        else if (apply_exec_option(c, o, err) < 0)
            return err->msg[0] != '\0' ? -1 : option_error(c, argv, err);
    }
    if (optind >= argc || (o->process_file == NULL && optind + 1 >= argc) ||
        (o->process_file != NULL && optind + 1 != argc))
        return runt_fail(err, 0,
                         "exec: usage: runt exec [OPTIONS] ID COMMAND [ARG...], or runt exec "
                         "--process FILE [OPTIONS] ID");
    if (o->console_socket != NULL && o->process_file == NULL && !o->tty)
        return runt_fail(err, 0, "exec: --console-socket goes with --tty");
    o->id = argv[optind];
    o->argv = argv + optind + 1;
    return state_root_of(root_flag, &o->root, err);
}

/* The namespaces the init is in; its user namespace only if it has its own. */
/* lesson final: join_container; make exercise-final blanks its body */
static int join_container(const struct state *st, int pidfd, struct runt_err *err)
{
    int flags = CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP |
                CLONE_NEWNS | (st->userns ? CLONE_NEWUSER : 0);

    /* The cgroup first, by the host's paths, while we still see the host's /sys/fs/cgroup. */
    if (cgroup_join(&st->cgroups, getpid(), err) < 0)
        return -1;
    say("setns into the namespaces of pid %d", (int)st->pid);
    if (setns(pidfd, flags) < 0)
        return runt_fail(err, errno, "setns into container %s", st->id);
    return 0;
}
/* end of lesson final: join_container */

/* What the forked process does, in the container's namespaces. */
struct exec_plan {
    struct process_config *process;
    const struct seccomp_profile *seccomp;
    bool detach;
};

static int load_filter(const struct exec_plan *plan, struct runt_err *err)
{
    say("install seccomp filter: %s",
        plan->seccomp == &runt_default_seccomp ? "runt's default allowlist" : "config.json's");
    return load_seccomp(plan->seccomp, plan->process->caps.bounding, err);
}

/* The forked process, now in the container's PID namespace: the init's checklist, shortened. */
static noreturn void exec_child(const struct exec_plan *plan, int sync_fd)
{
    struct process_config *p = plan->process;
    struct runt_err err;
    int master;

    if (!plan->detach && set_parent_death_signal(sync_fd, &err) < 0)
        goto fail;
    if (p->terminal &&
        (tty_open_in_container(&master, &err) < 0 || tty_set_size(master, p, &err) < 0 ||
         sync_send(sync_fd, SYNC_FD, master, &err) < 0))
        goto fail;
    if (p->terminal)
        close(master);
    if (enter_workdir(p->cwd != NULL && p->cwd[0] ? p->cwd : "/", &err) < 0 ||
        apply_process_limits(p, &err) < 0)
        goto fail;
    if (p->apparmor_profile != NULL && set_apparmor_profile(p->apparmor_profile, &err) < 0)
        goto fail;
    /* Without no_new_privs the filter needs CAP_SYS_ADMIN: before the user change (child.c). */
    if (plan->seccomp != NULL && !p->no_new_privileges && load_filter(plan, &err) < 0)
        goto fail;
    if (become_user(p, !plan->detach, sync_fd, &err) < 0)
        goto fail;
    if (p->no_new_privileges && set_no_new_privs(&err) < 0)
        goto fail;
    if (close_inherited_fds(sync_fd, &err) < 0)
        goto fail;
    if (plan->seccomp != NULL && p->no_new_privileges)
        say("install seccomp filter: %s",
            plan->seccomp == &runt_default_seccomp ? "runt's default allowlist" : "config.json's");
    prepare_exec(p);
    if (plan->seccomp != NULL && p->no_new_privileges &&
        load_seccomp(plan->seccomp, p->caps.bounding, &err) < 0)
        goto fail;
    exec_process(p, sync_fd);
fail:
    sync_fail(sync_fd, &err, EXIT_RUNT_FAILED);
}

/* Until EOF (execve happened) or an error; the pty master may come first. */
static int wait_for_exec(struct container *c, int *exit_code, struct runt_err *err)
{
    for (;;) {
        struct sync_msg m;
        int fd, rc = sync_recv(c->sync_fd, &m, &fd, err);

        if (rc <= 0)
            return rc;
        if (m.type == SYNC_ERROR) {
            *exit_code = m.exit_code;
            return runt_fail(err, m.errnum, "%s", m.msg);
        }
        if (m.type == SYNC_FD && c->tty_master < 0)
            c->tty_master = fd;
        else if (fd >= 0)
            close(fd);
    }
}

/* Fork into the container; once the command runs, hand over or wait for it. */
/* What runt hands over, on the host's paths: opened before it enters the container's mounts. */
struct host_files {
    int console; /* connected to --console-socket, or -1 */
    struct pid_file pid_file;
};

static int run_exec(struct state *st, const struct exec_plan *plan, const struct exec_options *o,
                    struct host_files *h, struct container *c, int *exit_code, struct runt_err *err)
{
    int fds[2], rc, pidfd = open_checked_pidfd(st, err);

    if (pidfd < 0)
        return -1;
    if (join_container(st, pidfd, err) < 0 || sync_pair(fds, err) < 0) {
        close(pidfd);
        return -1;
    }
    close(pidfd);
    c->sync_fd = fds[0];
    block_forwarded_signals(SIG_BLOCK);
    c->pid = fork();
    if (c->pid == 0) {
        close(fds[0]);
        exec_child(plan, fds[1]);
    }
    if (c->pid < 0)
        runt_fail(err, errno, "fork"); /* now: what follows may change errno */
    else
        forward_signals_to(c->pid);
    block_forwarded_signals(SIG_UNBLOCK);
    close(fds[1]);
    if (c->pid < 0)
        return -1;
    if (wait_for_exec(c, exit_code, err) < 0)
        return -1;
    if (h->console >= 0) {
        say("send the pty master to %s", o->console_socket);
        rc = console_send(h->console, c->tty_master, err);
        h->console = -1;
        /* The client holds the terminal now: runt does not relay it. */
        if (c->tty_master >= 0)
            close(c->tty_master);
        c->tty_master = -1;
        if (rc < 0)
            return -1;
    }
    if (h->pid_file.dir >= 0 && pid_file_write(&h->pid_file, c->pid, err) < 0)
        return -1;
    if (o->detach) {
        /* Not ours to wait for, nor to kill in container_destroy(): the caller's. */
        c->reaped = true;
        *exit_code = 0;
        return 0;
    }
    if (c->tty_master >= 0 && tty_relay(c->tty_master, c, err) < 0)
        return -1;
    if (wait_exit_status(c->pid, &c->wait_status, err) < 0)
        return -1;
    c->reaped = true;
    *exit_code = exit_code_of(c->wait_status);
    return 0;
}

/*
 * The process to run: --process FILE's, else the container's own with
 * this command, -e, --cwd and -u. And the filter: config.json's for an OCI
 * container (saved at create), runt's allowlist for runt run's.
 */
static int plan_exec(struct state *st, const struct exec_options *o, struct bundle *proc,
                     struct bundle *config, struct exec_plan *plan, struct runt_err *err)
{
    char saved[PATH_MAX];

    plan->process = &st->process;
    plan->seccomp = &runt_default_seccomp;
    plan->detach = o->detach;
    if (o->process_file != NULL) {
        if (bundle_load_process(o->process_file, proc, err) < 0)
            return -1;
        plan->process = &proc->cfg.process;
    } else {
        st->process.args = o->argv;
    }
    for (size_t i = 0; i < o->n_env; i++)
        if (parse_env(o->env[i], plan->process, err) < 0)
            return -1;
    if (o->cwd != NULL && o->process_file == NULL) {
        /* The state's process owns its strings (state_free) */
        free((char *)plan->process->cwd);
        plan->process->cwd = strdup(o->cwd);
    } else if (o->cwd != NULL) {
        plan->process->cwd = o->cwd;
    }
    if (o->user != NULL && parse_user(o->user, plan->process, err) < 0)
        return -1;
    if (o->tty)
        plan->process->terminal = true;
    if (o->tty && o->process_file == NULL && config_add_env(plan->process, "TERM=xterm", err) < 0)
        return -1;
    if (plan->process->terminal && o->detach && o->console_socket == NULL)
        return runt_fail(err, 0, "exec: a terminal with --detach needs --console-socket");
    if (join_path(saved, st->dir, "config.json", err) < 0)
        return -1;
    if (access(saved, F_OK) == 0) {
        if (bundle_load(st->dir, config, err) < 0) {
            runt_err_prefix(err, "the config saved at create");
            return -1;
        }
        plan->seccomp = config->cfg.seccomp;
    }
    return 0;
}

int cmd_exec(int argc, char **argv)
{
    static struct config unused; /* container_init wants one; exec creates nothing */
    struct exec_options o = {0};
    struct container c;
    struct runt_err err = {0};
    struct state st;
    struct bundle proc, config;
    struct exec_plan plan;
    struct host_files host = {.console = -1, .pid_file.dir = -1};
    int exit_code = EXIT_RUNT_FAILED;

    memset(&proc, 0, sizeof(proc));
    memset(&config, 0, sizeof(config));
    container_init(&c, &unused);
    if (parse_exec_args(argc, argv, &o, &err) < 0 || state_load(o.root, o.id, &st, &err) < 0)
        return fail_command(&err);
    if (plan_exec(&st, &o, &proc, &config, &plan, &err) < 0 ||
        install_signal_forwarding(&err) < 0 ||
        (o.console_socket != NULL &&
         (host.console = console_connect(o.console_socket, &err)) < 0) ||
        (o.pid_file != NULL && pid_file_open(o.pid_file, &host.pid_file, &err) < 0) ||
        run_exec(&st, &plan, &o, &host, &c, &exit_code, &err) < 0)
        fail_command(&err);
    if (host.console >= 0)
        close(host.console);
    if (host.pid_file.dir >= 0)
        close(host.pid_file.dir);
    container_destroy(&c);
    bundle_free(&proc);
    bundle_free(&config);
    state_free(&st);
    return exit_code;
}
