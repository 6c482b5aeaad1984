/*
 * runt (final): the configuration's defaults, shared by both front doors.
 * `runt run` starts from them and applies its options; an OCI config.json
 * states everything itself, and `runt spec` can write these same defaults.
 */
#include "runt.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

/*
 * Docker's default capability set: what ordinary services need, and no
 * more. Everything else is dropped; chapter 06 gives the reason for each.
 */
static const cap_value_t default_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t default_cap_mask(void)
{
    uint64_t mask = 0;

    for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
        mask |= 1ULL << default_caps[i];
    return mask;
}

/* The capabilities this kernel knows: 0 .. cap_last_cap. */
uint64_t all_caps_mask(void)
{
    unsigned int bits = (unsigned int)cap_max_bits();

    return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

/*
 * Kernel interfaces a container must not see (masked) or change (read-only).
 * Without a user namespace the container's root is the host's: a write to
 * /proc/sysrq-trigger could reboot the host. Chapter 06 gives the reasons.
 */
static const char *const default_masked[] = {
    "/proc/acpi",        "/proc/asound",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",
};
static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

const struct dev_node dev_nodes[N_DEV_NODES] = {
    {"null",    1, 3},
    {"zero",    1, 5},
    {"full",    1, 7},
    {"random",  1, 8},
    {"urandom", 1, 9},
    {"tty",     5, 0},
};

/*
 * What every container has mounted, in this order (/dev before what goes
 * under it). The devpts is an instance of our own (newinstance): the
 * container's ptys are not the host's; they belong to group 5 (tty), as
 * under Docker and runc.
 */
#define DEVPTS_OPTIONS "newinstance,ptmxmode=0666,mode=0620,gid=5"
static const struct mount_spec default_mounts[] = {
    {"proc",   "/proc",    "proc",   NULL,                MS_NOSUID | MS_NODEV | MS_NOEXEC            },
    {"sysfs",  "/sys",     "sysfs",  NULL,                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC},
    {"tmpfs",  "/dev",     "tmpfs",  "mode=755,size=64k", MS_NOSUID | MS_NOEXEC                       },
    {"devpts", "/dev/pts", "devpts", DEVPTS_OPTIONS,      MS_NOSUID | MS_NOEXEC                       },
    {"shm",    "/dev/shm", "tmpfs",  "mode=1777",         MS_NOSUID | MS_NODEV | MS_NOEXEC            },
};

void config_init_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->process.caps.bounding = default_cap_mask();
    cfg->process.caps.effective = default_cap_mask();
    cfg->process.caps.permitted = default_cap_mask();
    cfg->process.no_new_privileges = true;
    cfg->process.cwd = "/";
    for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++)
        cfg->mounts[cfg->n_mounts++] = default_mounts[i];
    for (size_t i = 0; i < ARRAY_SIZE(default_masked); i++)
        cfg->masked_paths[cfg->n_masked++] = default_masked[i];
    for (size_t i = 0; i < ARRAY_SIZE(default_readonly); i++)
        cfg->readonly_paths[cfg->n_readonly++] = default_readonly[i];
    /* Every namespace but the user namespace, which --userns adds. */
    for (int ns = 0; ns < NS_COUNT; ns++)
        cfg->ns[ns].create = ns != NS_USER;
    cfg->resources.cpu_period_us = 100000L;
    cfg->root_propagation = MS_REC | MS_PRIVATE;
    cfg->kill_with_parent = true;
    cfg->lock_dev = true;
}

/* The names getrlimit(2) gives the limits, which OCI's process.rlimits uses. */
static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    {"RLIMIT_AS",         RLIMIT_AS        },
    {"RLIMIT_CORE",       RLIMIT_CORE      },
    {"RLIMIT_CPU",        RLIMIT_CPU       },
    {"RLIMIT_DATA",       RLIMIT_DATA      },
    {"RLIMIT_FSIZE",      RLIMIT_FSIZE     },
    {"RLIMIT_LOCKS",      RLIMIT_LOCKS     },
    {"RLIMIT_MEMLOCK",    RLIMIT_MEMLOCK   },
    {"RLIMIT_MSGQUEUE",   RLIMIT_MSGQUEUE  },
    {"RLIMIT_NICE",       RLIMIT_NICE      },
    {"RLIMIT_NOFILE",     RLIMIT_NOFILE    },
    {"RLIMIT_NPROC",      RLIMIT_NPROC     },
    {"RLIMIT_RSS",        RLIMIT_RSS       },
    {"RLIMIT_RTPRIO",     RLIMIT_RTPRIO    },
    {"RLIMIT_RTTIME",     RLIMIT_RTTIME    },
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK",      RLIMIT_STACK     },
};

const char *rlimit_name(int resource)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
        if (rlimits[i].resource == resource)
            return rlimits[i].name;
    return "RLIMIT_?";
}

/* -1 for a name that is not a limit. */
int rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
        if (strcmp(rlimits[i].name, name) == 0)
            return rlimits[i].resource;
    return -1;
}

/* Set "K=V" in the environment, replacing an earlier K. */
int config_add_env(struct process_config *p, const char *kv, struct runt_err *err)
{
    size_t key_len = strcspn(kv, "=");
    char *copy;

    if (key_len == 0 || kv[key_len] != '=')
        return runt_fail(err, 0, "'%s' is not KEY=VALUE", kv);
    copy = strdup(kv);
    if (copy == NULL)
        return runt_fail(err, errno, "strdup");
    for (size_t i = 0; i < p->n_env; i++) {
        if (strncmp(p->env[i], kv, key_len + 1) == 0) {
            free(p->env[i]);
            p->env[i] = copy;
            return 0;
        }
    }
    if (p->n_env == RUNT_MAX_ENV) {
        free(copy);
        return runt_fail(err, 0, "more than %d environment variables", RUNT_MAX_ENV);
    }
    p->env[p->n_env++] = copy;
    p->env[p->n_env] = NULL;
    return 0;
}

int config_add_mount(struct config *cfg, const struct mount_spec *m, struct runt_err *err)
{
    if (cfg->n_mounts == RUNT_MAX_MOUNTS)
        return runt_fail(err, 0, "more than %d mounts", RUNT_MAX_MOUNTS);
    cfg->mounts[cfg->n_mounts++] = *m;
    return 0;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->process.n_env; i++)
        free(cfg->process.env[i]);
    cfg->process.n_env = 0;
    cfg->process.env[0] = NULL;
}

/* The namespaces clone(2) creates. The cgroup namespace comes later: the init
 * unshares it once it is in its cgroup, so that this cgroup becomes its root. */
unsigned long clone_flags(const struct config *cfg)
{
    static const unsigned long flag[NS_COUNT] = {
        [NS_IPC] = CLONE_NEWIPC, [NS_UTS] = CLONE_NEWUTS, [NS_NET] = CLONE_NEWNET,
        [NS_PID] = CLONE_NEWPID, [NS_MNT] = CLONE_NEWNS,  [NS_USER] = CLONE_NEWUSER,
    };
    unsigned long flags = 0;

    for (int ns = 0; ns < NS_COUNT; ns++)
        if (cfg->ns[ns].create && cfg->ns[ns].path == NULL)
            flags |= flag[ns];
    return flags;
}
