/*
 * runt (final): the container's cgroup, with memory, pids and CPU limits.
 *
 * cgroup v2 mounts one hierarchy at /sys/fs/cgroup (unified). v1 mounts a
 * tmpfs there with one hierarchy per controller below it (legacy); systemd's
 * "hybrid" adds a controller-less v2 hierarchy at /sys/fs/cgroup/unified,
 * which runt leaves alone: in hybrid mode the controllers are v1's.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC         0x01021994
#define CGROUP2_SUPER_MAGIC 0x63677270

/* The v1 hierarchies runt uses; on v1, dirs[] follows this order (devices last, if any). */
static const char *const v1_controllers[CGROUP_MAX] = {"memory", "pids", "cpu", "devices"};
/* The v2 controllers runt enables: cgroup v2 has no devices controller (devices.c). */
#define V2_CONTROLLERS 3

enum cgroup_mode { CGROUP_LEGACY, CGROUP_HYBRID, CGROUP_UNIFIED };

static int detect_cgroup_mode(enum cgroup_mode *mode, struct runt_err *err)
{
    struct statfs st;

    if (statfs(CGROUP_ROOT, &st) < 0)
        return runt_fail(err, errno, "statfs %s", CGROUP_ROOT);
    if (st.f_type == CGROUP2_SUPER_MAGIC)
        *mode = CGROUP_UNIFIED;
    else if (st.f_type != TMPFS_MAGIC)
        return runt_fail(err, 0, "%s is neither cgroup2 nor a tmpfs of cgroup v1 hierarchies",
                         CGROUP_ROOT);
    else if (statfs(CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        *mode = CGROUP_HYBRID;
    else
        *mode = CGROUP_LEGACY;
    return 0;
}

/* Write a value into a cgroup file, e.g. <dir>/memory.max. */
int write_cgroup_file(const char *dir, const char *file, const char *value, struct runt_err *err)
{
    char path[PATH_MAX];
    int fd;

    if (join_path(path, dir, file, err) < 0)
        return -1;
    say("%s = %s", path, value);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return runt_fail(err, errno, "open %s", path);
    if (write(fd, value, strlen(value)) < 0) {
        int saved = errno;

        close(fd);
        return runt_fail(err, saved, "write '%s' to %s", value, path);
    }
    close(fd);
    return 0;
}

static bool cgroup_has_file(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct runt_err ignored;

    return join_path(path, dir, file, &ignored) == 0 && access(path, F_OK) == 0;
}

/*
 * cgroup v2's "no internal processes" rule: a cgroup that hands controllers
 * to its children (cgroup.subtree_control) may hold no process itself. runt/
 * only ever holds container cgroups, never a process, so it can delegate.
 */
static int enable_v2_controllers(const char *dir, struct runt_err *err)
{
    char path[PATH_MAX];
    int fd;

    if (join_path(path, dir, "cgroup.subtree_control", err) < 0)
        return -1;
    say("%s = +memory +pids +cpu", path);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return runt_fail(err, errno, "open %s", path);
    /* One write per controller, so that a failure names its controller. */
    for (size_t i = 0; i < V2_CONTROLLERS; i++) {
        char word[16];

        snprintf(word, sizeof(word), "+%s", v1_controllers[i]);
        if (write(fd, word, strlen(word)) >= 0)
            continue;
        runt_fail(err, errno, "enable %s in %s", word, path);
        if (errno == EBUSY)
            runt_err_prefix(err,
                            "%s holds processes, and cgroup v2 lets only a cgroup without "
                            "processes delegate controllers",
                            dir);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* mkdir -p of <hierarchy>/<relpath>'s parents, then the cgroup itself, which must be new. */
static int make_cgroup(const char *hierarchy, const char *relpath, char *out, bool unified,
                       struct runt_err *err)
{
    char parent[PATH_MAX];
    char *slash;

    if (join_path(out, hierarchy, relpath, err) < 0)
        return -1;
    snprintf(parent, sizeof(parent), "%s", out);
    slash = strrchr(parent, '/');
    *slash = '\0';
    if (make_dirs(parent, 0755, err) < 0)
        return -1;
    if (unified && strcmp(parent, CGROUP_ROOT) != 0 && enable_v2_controllers(parent, err) < 0)
        return -1;
    if (mkdir(out, 0755) < 0)
        return runt_fail(err, errno, "mkdir %s", out);
    return 0;
}

/*
 * Memory and swap together (OCI's memory.swap, v1's memsw), or, without a
 * swap limit, none at all: a container would swap instead of meeting its
 * limit. v2 counts swap alone, in memory.swap.max.
 */
static int write_swap_limit(const struct cgroups *cg, const struct resources *res,
                            struct runt_err *err)
{
    const char *file = cg->unified ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
    unsigned long long both = res->memory_swap > 0 ? res->memory_swap : res->memory;
    char value[32];

    if (!cgroup_has_file(cg->dirs[0], file)) {
        if (res->memory_swap == 0)
            return 0;
        return runt_fail(err, 0,
                         "linux.resources.memory.swap: this kernel does not account swap (no "
                         "%s): the limit would not hold",
                         file);
    }
    snprintf(value, sizeof(value), "%llu", cg->unified ? both - res->memory : both);
    return write_cgroup_file(cg->dirs[0], file, value, err);
}

/* v1's cpu.shares (2..262144, default 1024) is v2's cpu.weight (1..10000, default 100). */
static int write_cpu_shares(const struct cgroups *cg, const char *dir, unsigned long long shares,
                            struct runt_err *err)
{
    char value[32];

    if (cg->unified)
        snprintf(value, sizeof(value), "%llu", 1 + ((shares - 2) * 9999) / 262142);
    else
        snprintf(value, sizeof(value), "%llu", shares);
    return write_cgroup_file(dir, cg->unified ? "cpu.weight" : "cpu.shares", value, err);
}

static int write_limits(const struct cgroups *cg, const struct resources *res, struct runt_err *err)
{
    const char *memory = cg->dirs[0];
    const char *pids = cg->dirs[cg->unified ? 0 : 1];
    const char *cpu = cg->dirs[cg->unified ? 0 : 2];
    char value[64];

    if (res->memory > 0) {
        snprintf(value, sizeof(value), "%llu", res->memory);
        if (write_cgroup_file(memory, cg->unified ? "memory.max" : "memory.limit_in_bytes", value,
                              err) < 0 ||
            write_swap_limit(cg, res, err) < 0)
            return -1;
    }
    if (res->cpu_shares > 0 && write_cpu_shares(cg, cpu, res->cpu_shares, err) < 0)
        return -1;
    if (res->n_devices > 0 && (cg->unified ? devices_apply_v2(cg->dirs[0], res, err)
                                           : devices_apply_v1(cg->dirs[3], res, err)) < 0)
        return -1;
    if (res->pids > 0) {
        snprintf(value, sizeof(value), "%ld", res->pids);
        if (write_cgroup_file(pids, "pids.max", value, err) < 0)
            return -1;
    }
    if (res->cpu_quota_us > 0 && cg->unified) {
        snprintf(value, sizeof(value), "%ld %ld", res->cpu_quota_us, res->cpu_period_us);
        return write_cgroup_file(cpu, "cpu.max", value, err);
    }
    if (res->cpu_quota_us > 0) {
        snprintf(value, sizeof(value), "%ld", res->cpu_period_us);
        if (write_cgroup_file(cpu, "cpu.cfs_period_us", value, err) < 0)
            return -1;
        snprintf(value, sizeof(value), "%ld", res->cpu_quota_us);
        return write_cgroup_file(cpu, "cpu.cfs_quota_us", value, err);
    }
    return 0;
}

/* Create <relpath> (once on v2, under each controller on v1) and write the limits into it. */
int cgroup_create(struct cgroups *cg, const char *relpath, const struct resources *res,
                  struct runt_err *err)
{
    enum cgroup_mode mode = CGROUP_LEGACY;

    if (detect_cgroup_mode(&mode, err) < 0)
        return -1;
    say("cgroup mode: %s", mode == CGROUP_UNIFIED  ? "unified (v2)"
                           : mode == CGROUP_HYBRID ? "hybrid (v1 controllers)"
                                                   : "legacy (v1)");
    cg->unified = mode == CGROUP_UNIFIED;
    cg->count = 0;
    if (cg->unified) {
        if (enable_v2_controllers(CGROUP_ROOT, err) < 0 ||
            make_cgroup(CGROUP_ROOT, relpath, cg->dirs[0], true, err) < 0)
            return -1;
        cg->count = 1;
    } else {
        /* devices, last, only for a config that has device rules */
        for (size_t i = 0; i < (res->n_devices > 0 ? CGROUP_MAX : CGROUP_MAX - 1); i++) {
            char hierarchy[PATH_MAX];

            if (join_path(hierarchy, CGROUP_ROOT, v1_controllers[i], err) < 0 ||
                make_cgroup(hierarchy, relpath, cg->dirs[i], false, err) < 0)
                return -1;
            cg->count = i + 1;
        }
    }
    return write_limits(cg, res, err);
}

/* Move pid (0: the caller) into the container's cgroups. */
int cgroup_join(const struct cgroups *cg, pid_t pid, struct runt_err *err)
{
    char value[32];

    snprintf(value, sizeof(value), "%d", (int)pid);
    for (size_t i = 0; i < cg->count; i++)
        if (write_cgroup_file(cg->dirs[i], "cgroup.procs", value, err) < 0)
            return -1;
    return 0;
}

/* Kill every process in a cgroup: with cgroup.kill (v2, Linux 5.14+), or one by one. */
static void kill_cgroup(const char *dir)
{
    char path[PATH_MAX];
    struct runt_err ignored;
    FILE *f;
    int pid;

    if (cgroup_has_file(dir, "cgroup.kill")) {
        write_cgroup_file(dir, "cgroup.kill", "1", &ignored);
        return;
    }
    if (join_path(path, dir, "cgroup.procs", &ignored) < 0)
        return;
    f = fopen(path, "re");
    if (f == NULL)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        kill(pid, SIGKILL);
    fclose(f);
}

/*
 * Teardown: kill whatever is left in the cgroups, then remove them. rmdir(2)
 * fails with EBUSY until a cgroup is empty; runt has reaped its own child
 * before this, and the kernel reaps the rest when their PID 1 dies.
 */
void cgroup_destroy(struct cgroups *cg)
{
    const struct timespec ten_ms = {.tv_nsec = 10L * 1000 * 1000};

    while (cg->count > 0) {
        const char *dir = cg->dirs[cg->count - 1];

        for (int tries = 0; rmdir(dir) < 0; tries++) {
            if (errno == ENOENT)
                break;
            if (errno != EBUSY || tries == 500) {
                runt_print("rmdir %s: %s", dir, strerror(errno));
                break;
            }
            kill_cgroup(dir);
            nanosleep(&ten_ms, NULL);
        }
        say("remove cgroup %s", dir);
        cg->count--;
    }
}

/* Read the value of "key value" in a cgroup file such as memory.events; -1 if absent. */
static long long read_cgroup_key(const char *dir, const char *file, const char *key)
{
    char path[PATH_MAX], name[64];
    struct runt_err ignored;
    long long value, found = -1;
    FILE *f;

    if (join_path(path, dir, file, &ignored) < 0)
        return -1;
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fscanf(f, "%63s %lld", name, &value) == 2)
        if (strcmp(name, key) == 0)
            found = value;
    fclose(f);
    return found;
}

/* After the container ended: say so if the OOM killer ended any of its processes. */
bool cgroup_report_oom(const struct cgroups *cg, const char *id, unsigned long long limit)
{
    long long kills;

    if (cg->count == 0 || limit == 0)
        return false;
    /* v2 counts in memory.events, v1 in memory.oom_control (Linux 4.13+). */
    kills = read_cgroup_key(cg->dirs[0], cg->unified ? "memory.events" : "memory.oom_control",
                            "oom_kill");
    if (kills <= 0)
        return false;
    runt_print("container %s: the OOM killer ended %lld process(es) (--memory %llu)", id, kills,
               limit);
    return true;
}
