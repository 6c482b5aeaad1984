/*
 * runt (final): who the container's process is and what it may do: user and
 * groups, capabilities, no_new_privs, limits, and the fds it inherits.
 * (The seccomp filter is in seccomp.c; the init loads it last.)
 */
#include "container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* "CAP_SYS_ADMIN", "sys_admin" or "ALL" -> a mask of capabilities. */
int parse_cap(const char *option, const char *arg, uint64_t *mask, struct runt_err *err)
{
    char name[64] = "cap_";
    size_t skip = strncasecmp(arg, "cap_", 4) == 0 ? 4 : 0;
    size_t len = strlen(arg + skip);
    cap_value_t cap;

    if (strcasecmp(arg, "ALL") == 0) {
        *mask = all_caps_mask();
        return 0;
    }
    if (len == 0 || len >= sizeof(name) - 4 ||
        strspn(arg + skip, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != len)
        return runt_fail(err, 0, "%s: unknown capability '%s' (see capabilities(7))", option, arg);
    for (size_t i = 0; i < len; i++)
        name[4 + i] = (char)tolower((unsigned char)arg[skip + i]);
    if (cap_from_name(name, &cap) < 0)
        return runt_fail(err, 0, "%s: unknown capability '%s' (see capabilities(7))", option, arg);
    if (!(all_caps_mask() & (1ULL << cap)))
        return runt_fail(err, 0, "%s: this kernel does not know capability '%s'", option, arg);
    *mask = 1ULL << cap;
    return 0;
}

/*
 * PR_SET_PDEATHSIG: SIGKILL when runt dies, so no container outlives it
 * unwatched. If runt died before the prctl, nothing would come: the sync
 * socket tells, since its other end closed with runt (POLLRDHUP).
 * prctl(2): a change of euid/egid clears the setting, so become_user()
 * calls this again afterwards.
 */
int set_parent_death_signal(int sync_fd, struct runt_err *err)
{
    struct pollfd pfd = {.fd = sync_fd, .events = POLLRDHUP};

    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return runt_fail(err, errno, "prctl PR_SET_PDEATHSIG");
    if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP)))
        return runt_fail(err, 0, "runt is gone");
    return 0;
}

/* Drop every capability not in `keep` from the bounding set, the ceiling of any later execve. */
static int limit_bounding_set(uint64_t keep, struct runt_err *err)
{
    int last = (int)cap_max_bits() - 1;

    for (cap_value_t cap = 0; cap <= last; cap++)
        if (!(keep & (1ULL << cap)) && cap_drop_bound(cap) < 0)
            return runt_fail(err, errno, "drop capability %d from the bounding set", cap);
    return 0;
}

/* Nobody can grant what they lack: keep only what this process holds. */
static uint64_t held_capabilities(void)
{
    int last = (int)cap_max_bits() - 1;
    cap_flag_value_t have;
    uint64_t held = 0;
    cap_t caps = cap_get_proc();

    if (caps == NULL)
        return 0;
    for (cap_value_t cap = 0; cap <= last; cap++)
        if (cap_get_flag(caps, cap, CAP_PERMITTED, &have) == 0 && have == CAP_SET &&
            cap_get_bound(cap) == 1)
            held |= 1ULL << cap;
    cap_free(caps);
    return held;
}

static int set_cap_flag(cap_t caps, cap_flag_t flag, uint64_t mask)
{
    cap_value_t list[64];
    int n = 0;

    for (cap_value_t cap = 0; cap < 64; cap++)
        if (mask & (1ULL << cap))
            list[n++] = cap;
    return n == 0 ? 0 : cap_set_flag(caps, flag, n, list, CAP_SET);
}

/* permitted, effective and inheritable as asked; then the ambient set. */
static int set_capabilities(const struct cap_sets *want, struct runt_err *err)
{
    int last = (int)cap_max_bits() - 1;
    cap_t caps = cap_init();

    if (caps == NULL)
        return runt_fail(err, errno, "cap_init");
    if (set_cap_flag(caps, CAP_PERMITTED, want->permitted) < 0 ||
        set_cap_flag(caps, CAP_EFFECTIVE, want->effective) < 0 ||
        set_cap_flag(caps, CAP_INHERITABLE, want->inheritable) < 0 || cap_set_proc(caps) < 0) {
        runt_fail(err, errno, "set capabilities");
        cap_free(caps);
        return -1;
    }
    cap_free(caps);
    if (cap_reset_ambient() < 0)
        return runt_fail(err, errno, "clear the ambient capabilities");
    for (cap_value_t cap = 0; cap <= last; cap++)
        if ((want->ambient & (1ULL << cap)) && cap_set_ambient(cap, CAP_SET) < 0)
            return runt_fail(err, errno, "raise ambient capability %d", cap);
    return 0;
}

/*
 * Become the configured user with the configured capabilities, in this order
 * (capabilities(7)):
 * 1. the bounding set, while CAP_SETPCAP is still ours;
 * 2. setgroups, setgid, setuid, while CAP_SETGID and CAP_SETUID are; the
 *    kernel clears permitted and effective when root becomes another uid,
 *    unless PR_SET_KEEPCAPS says to keep them for step 3;
 * 3. permitted, effective, inheritable and ambient, as asked. `runt run -u`
 *    asks for none for a non-root user, as Docker does.
 */
int become_user(const struct process_config *p, bool kill_with_parent, int sync_fd,
                struct runt_err *err)
{
    struct cap_sets want = p->caps;
    uint64_t held = held_capabilities();

    want.bounding &= held;
    want.effective &= held;
    want.permitted &= held;
    say("capabilities: bounding, permitted, effective = 0x%016llx",
        (unsigned long long)want.effective);
    if (limit_bounding_set(want.bounding, err) < 0)
        return -1;
    if (p->uid != 0 || p->gid != 0 || p->n_gids > 0)
        say("user %u, group %u, %zu more groups", (unsigned)p->uid, (unsigned)p->gid, p->n_gids);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return runt_fail(err, errno, "prctl PR_SET_KEEPCAPS");
    if (setgroups(p->n_gids, p->gids) < 0)
        return runt_fail(err, errno, "setgroups");
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return runt_fail(err, errno, "setgid %u", (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return runt_fail(err, errno, "setuid %u", (unsigned)p->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return runt_fail(err, errno, "prctl PR_SET_KEEPCAPS");
    if (kill_with_parent && set_parent_death_signal(sync_fd, err) < 0)
        return -1;
    return set_capabilities(&want, err);
}

/*
 * no_new_privs: execve(2) can no longer grant privileges (setuid files,
 * file capabilities), and it lets the process load a seccomp filter.
 */
int set_no_new_privs(struct runt_err *err)
{
    say("set no_new_privs");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return runt_fail(err, errno, "set no_new_privs");
    return 0;
}

static int write_proc_self(const char *file, const char *value, struct runt_err *err)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC);

    if (fd < 0 || write(fd, value, strlen(value)) < 0) {
        runt_fail(err, errno, "write %s to %s", value, file);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* rlimits, oom_score_adj and umask: what an OCI process can ask for. */
int apply_process_limits(const struct process_config *p, struct runt_err *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (setrlimit((__rlimit_resource_t)p->rlimits[i].resource, &p->rlimits[i].limit) < 0)
            return runt_fail(err, errno, "setrlimit %s (soft %llu, hard %llu)",
                             rlimit_name(p->rlimits[i].resource),
                             (unsigned long long)p->rlimits[i].limit.rlim_cur,
                             (unsigned long long)p->rlimits[i].limit.rlim_max);
    if (p->set_oom_score_adj) {
        char value[16];

        snprintf(value, sizeof(value), "%d", p->oom_score_adj);
        if (write_proc_self("/proc/self/oom_score_adj", value, err) < 0)
            return -1;
    }
    if (p->set_umask)
        umask(p->umask);
    return 0;
}

/* Is AppArmor on? Where it is off, a profile could only be pretended. */
bool apparmor_enabled(void)
{
    FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
    int enabled = 'N';

    if (f != NULL) {
        enabled = fgetc(f);
        fclose(f);
    }
    return enabled == 'Y';
}

/*
 * An AppArmor profile for the command: "exec PROFILE" written to the
 * process's own attr file takes effect at its next execve(2), as
 * aa_change_onexec(2) does. Newer kernels have the attr in apparmor/.
 */
int set_apparmor_profile(const char *profile, struct runt_err *err)
{
    char value[256];

    say("AppArmor profile %s from the next execve", profile);
    snprintf(value, sizeof(value), "exec %s", profile);
    if (access("/proc/self/attr/apparmor/exec", F_OK) == 0)
        return write_proc_self("/proc/self/attr/apparmor/exec", value, err);
    return write_proc_self("/proc/self/attr/exec", value, err);
}

/* The working directory, created if the image lacks it (as Docker does). */
int enter_workdir(const char *cwd, struct runt_err *err)
{
    if (chdir(cwd) == 0)
        return 0;
    if (errno != ENOENT || make_dirs(cwd, 0755, err) < 0 || chdir(cwd) < 0)
        return runt_fail(err, errno, "workdir %s", cwd);
    return 0;
}

/* The fallback for kernels without close_range(2) (before 5.9): walk /proc/self/fd. */
static int close_by_walking(int keep, struct runt_err *err)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    say("close_range: not in this kernel; close each fd above 2 in /proc/self/fd");
    if (d == NULL)
        return runt_fail(err, errno, "open /proc/self/fd");
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);

        if (fd > 2 && fd != keep && fd != dirfd(d))
            close(fd);
    }
    closedir(d);
    return 0;
}

/*
 * No fd of runt's caller may reach the container: an open directory fd
 * would be a way out of its root (runc's CVE-2024-21626). close_range(2)
 * closes every fd above 2 but `keep`, the sync socket, which is
 * close-on-exec: it carries an error if execve fails, and closes if not.
 */
int close_inherited_fds(int keep, struct runt_err *err)
{
    if (close_range(3, (unsigned int)keep - 1, 0) == 0 &&
        close_range((unsigned int)keep + 1, ~0U, 0) == 0) {
        say("close_range: every fd above 2 closed");
        return 0;
    }
    if (errno != ENOSYS)
        return runt_fail(err, errno, "close_range");
    return close_by_walking(keep, err);
}

/*
 * Just before the seccomp filter: the signal dispositions and mask runt set
 * up must not reach the command, and environ becomes the container's own,
 * so that execvp(3) searches the container's PATH.
 */
void prepare_exec(const struct process_config *p)
{
    extern char **environ;

    say("exec %s", p->args[0]);
    reset_signals_for_exec();
    environ = (char **)p->env;
}

/*
 * The very last step, after the filter: execve(2). If it fails, the sync
 * socket (close-on-exec, so still open) carries the error to runt.
 */
noreturn void exec_process(const struct process_config *p, int sync_fd)
{
    struct runt_err err;

    execvp(p->args[0], p->args);
    runt_fail(&err, errno, "exec %s", p->args[0]);
    sync_fail(sync_fd, &err, err.errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}
