/*
 * runt (final): runt exec [-t] ID CMD..., a new process in a running container.
 *
 * setns(2) on a pidfd joins all of the init's namespaces in one call (Linux
 * 5.8), and a pidfd cannot come to mean another process. The new process
 * then gets what the init had: its cgroup, user, capabilities, no_new_privs,
 * seccomp filter and fd hygiene. A PID namespace is entered only by children
 * of the caller, so runt forks after setns.
 */
#include "container.h"
#include "seccomp.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

struct exec_options {
    const char *root;
    bool tty;
    const char *id;
    char **argv;
};

static int parse_exec_args(int argc, char **argv, struct exec_options *o, struct runt_err *err)
{
    static const struct option longopts[] = {
        {"root",    required_argument, NULL, 'R'},
        {"tty",     no_argument,       NULL, 't'},
        {"verbose", no_argument,       NULL, 'v'},
        {NULL,      0,                 NULL, 0  },
    };
    const char *root_flag = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:tv", longopts, NULL)) != -1) {
        if (c == 'R')
            root_flag = optarg;
        else if (c == 't')
            o->tty = true;
        else if (c == 'v')
            runt_verbose = true;
        else
            return option_error(c, argv, err);
    }
    if (optind + 1 >= argc)
        return runt_fail(err, 0, "exec: usage: runt exec [-t] [--root DIR] ID COMMAND [ARG...]");
    o->id = argv[optind];
    o->argv = argv + optind + 1;
    return state_root_of(root_flag, &o->root, err);
}

/* The namespaces the init is in; its user namespace only if it has its own (--userns). */
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

/* The forked process, now in the container's PID namespace: the init's checklist, shortened. */
static noreturn void exec_child(struct state *st, bool tty, int sync_fd)
{
    struct process_config *p = &st->process;
    struct runt_err err;
    int master;

    if (set_parent_death_signal(sync_fd, &err) < 0)
        goto fail;
    if (tty &&
        (tty_open_in_container(&master, &err) < 0 || sync_send(sync_fd, SYNC_FD, master, &err) < 0))
        goto fail;
    if (tty)
        close(master);
    if (enter_workdir(p->cwd[0] ? p->cwd : "/", &err) < 0 ||
        become_user(p, true, sync_fd, &err) < 0)
        goto fail;
    if (p->no_new_privileges && set_no_new_privs(&err) < 0)
        goto fail;
    if (close_inherited_fds(sync_fd, &err) < 0)
        goto fail;
    say("install seccomp filter: runt's default allowlist");
    prepare_exec(p);
    if (load_seccomp(&runt_default_seccomp, p->caps.bounding, &err) < 0)
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

static int run_exec(struct state *st, bool tty, struct container *c, int *exit_code,
                    struct runt_err *err)
{
    int fds[2], pidfd = open_checked_pidfd(st, err);

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
        exec_child(st, tty, fds[1]);
    }
    if (c->pid > 0)
        forward_signals_to(c->pid);
    block_forwarded_signals(SIG_UNBLOCK);
    close(fds[1]);
    if (c->pid < 0)
        return runt_fail(err, errno, "fork");
    if (wait_for_exec(c, exit_code, err) < 0)
        return -1;
    if (c->tty_master >= 0 && tty_relay(c->tty_master, c, err) < 0)
        return -1;
    if (wait_exit_status(c->pid, &c->wait_status, err) < 0)
        return -1;
    c->reaped = true;
    *exit_code = exit_code_of(c->wait_status);
    return 0;
}

int cmd_exec(int argc, char **argv)
{
    static struct config unused; /* container_init wants one; exec creates nothing */
    struct exec_options o = {0};
    struct container c;
    struct runt_err err;
    struct state st;
    char line[1200];
    int exit_code = EXIT_RUNT_FAILED;

    container_init(&c, &unused);
    if (parse_exec_args(argc, argv, &o, &err) < 0 || state_load(o.root, o.id, &st, &err) < 0) {
        runt_print("%s", runt_err_str(&err, line, sizeof(line)));
        return EXIT_RUNT_FAILED;
    }
    st.process.args = o.argv;
    if ((o.tty && config_add_env(&st.process, "TERM=xterm", &err) < 0) ||
        install_signal_forwarding(&err) < 0 || run_exec(&st, o.tty, &c, &exit_code, &err) < 0)
        runt_print("%s", runt_err_str(&err, line, sizeof(line)));
    container_destroy(&c);
    state_free(&st);
    return exit_code;
}
